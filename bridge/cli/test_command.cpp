// `mailbridge test` (see test_command.h): config → one probe per server on a private loop →
// table or JSON.
#include "bridge/cli/test_command.h"

#include <uv.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "bridge/cli/exit_codes.h"
#include "bridge/config/config_loader.h"
#include "bridge/config/secret_resolver.h"
#include "bridge/daemon/upstream_route.h"
#include "bridge/log/log.h"
#include "bridge/oauth/token_manager.h"

namespace mb::cli {
namespace {

std::string format_ms(double ms) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f ms", ms);
    return text;
}

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

std::string server_line(const config::ServerSettings& server) {
    const char* protocol = server.protocol == config::Protocol::imap   ? "IMAP"
                           : server.protocol == config::Protocol::pop3 ? "POP3"
                                                                       : "SMTP";
    std::string line =
        "server " + server.name + ": " + protocol + " upstream " + server.upstream.to_string() +
        (server.upstream_tls == config::UpstreamTls::starttls ? " (STARTTLS)" : " (implicit TLS)");
    if (!server.proxy.empty()) line += " through proxy " + server.proxy;
    return line;
}

// Runs the loop until `done`, then lets every handle close.
void run_until(uv_loop_t* loop, const bool& done) {
    while (!done && uv_run(loop, UV_RUN_ONCE) != 0) {
    }
}

}  // namespace

std::string test_table(const std::string& account, const std::string& login,
                       const std::vector<session::ProbeReport>& reports,
                       const std::vector<std::string>& server_lines) {
    std::string out = "mailbridge test: account " + account + ", login " + login + "\n";
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& report = reports[i];
        out +=
            "\n" + (i < server_lines.size() ? server_lines[i] : "server " + report.server) + "\n";
        double total = 0;
        std::string failed;
        for (const auto& step : report.steps) {
            total += step.milliseconds;
            std::string label(session::probe_step_label(step.name));
            if (!step.ok && failed.empty()) failed = label;
            std::string line = "  " + pad(step.ok ? "ok" : "FAIL", 6) + pad(label, 15) +
                               pad(format_ms(step.milliseconds), 11) + step.detail;
            line.erase(line.find_last_not_of(' ') + 1);
            out += line + "\n";
        }
        out += report.ok() ? "  PASSED in " + format_ms(total) + "\n"
                           : "  FAILED at " + failed + " after " + format_ms(total) + "\n";
    }
    return out;
}

nlohmann::json test_json(const std::string& account, const std::string& login,
                         const std::vector<session::ProbeReport>& reports) {
    nlohmann::json out = {{"account", account}, {"login", login}};
    bool all_ok = !reports.empty();
    auto& servers = out["servers"] = nlohmann::json::array();
    for (const auto& report : reports) {
        nlohmann::json steps = nlohmann::json::array();
        for (const auto& step : report.steps)
            steps.push_back({{"step", step.name},
                             {"ok", step.ok},
                             {"milliseconds", step.milliseconds},
                             {"detail", step.detail}});
        servers.push_back({{"server", report.server}, {"ok", report.ok()}, {"steps", steps}});
        all_ok = all_ok && report.ok();
    }
    out["ok"] = all_ok;
    return out;
}

int test_command(const std::filesystem::path& config_path, const TestOptions& options) {
    auto loaded = config::load_config_file(config_path);
    if (!loaded.config) {
        for (const auto& problem : loaded.problems) std::cerr << problem.to_string() << "\n";
        return kExitUsage;
    }
    auto config = std::make_shared<const config::Config>(std::move(*loaded.config));
    const auto* account = config->find_account(options.account);
    if (!account) {
        std::cerr << "test: no [[account]] named \"" << options.account << "\" in "
                  << config_path.string() << "\n";
        return kExitUsage;
    }
    std::string login = options.login.value_or(account->login);
    if (login.rfind("*@", 0) == 0) {
        std::cerr << "test: account " << account->name << " serves every login of "
                  << login.substr(1) << ": name one with --login USER\n";
        return kExitUsage;
    }
    std::vector<const config::ServerSettings*> servers;
    for (const auto& server : config->servers)
        if (!options.server || server.name == *options.server) servers.push_back(&server);
    if (servers.empty()) {
        std::cerr << "test: "
                  << (options.server ? "no [[server]] named \"" + *options.server + "\""
                                     : std::string("no [[server]] is configured"))
                  << " in " << config_path.string() << "\n";
        return kExitUsage;
    }
    // Warnings and errors on stderr through the redacting sink: tokens never reach the terminal.
    if (auto logging = log::init({.level = 2, .file = "", .journal = false}); !logging) {
        std::cerr << "test: " << logging.error().message << "\n";
        return kExitUsage;
    }

    uv_loop_t loop;
    uv_loop_init(&loop);
    auto token_options = oauth::TokenManagerOptions::from_config(*config);
    token_options.retry.max_retries = 0;  // an admin testing wants the answer now
    auto tokens = std::make_unique<oauth::TokenManager>(&loop, token_options);
    auto secrets = std::make_unique<oauth::SecretCache>(
        &loop, [](const config::SecretSource& source) { return config::resolve_secret(source); });
    std::vector<session::ProbeReport> reports;
    std::vector<std::string> lines;
    for (const auto* server : servers) {
        lines.push_back(server_line(*server));
        auto route = daemon::prepare_upstream_route(*config, *server);
        if (!route) {
            session::ProbeReport report;
            report.server = server->name;
            report.steps.push_back({"route", false, 0, route.error().message});
            reports.push_back(std::move(report));
            continue;
        }
        auto services = std::make_shared<session::SessionServices>();
        services->loop = &loop;
        services->config = config;
        services->server = server;
        services->tokens = tokens.get();
        services->secrets = secrets.get();
        services->upstream_tls = std::move(route->tls);
        services->proxy = std::move(route->proxy);
        bool done = false;
        session::ConnectionProbe probe(services, *account, login);
        probe.run([&](session::ProbeReport report) {
            reports.push_back(std::move(report));
            done = true;
        });
        run_until(&loop, done);
    }
    tokens.reset();
    secrets.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);

    if (options.json)
        std::cout << test_json(account->name, login, reports).dump(2) << "\n";
    else
        std::cout << test_table(account->name, login, reports, lines);
    bool all_ok = !reports.empty();
    for (const auto& report : reports) all_ok = all_ok && report.ok();
    return all_ok ? kExitOk : kExitRuntimeFailure;
}

}  // namespace mb::cli
