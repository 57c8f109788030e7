// Command-line parsing and dispatch. Each command's work lives in its own file; this file only
// maps arguments to calls and results to exit statuses.
#include "bridge/cli/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <string>

#include "bridge/cli/auth_command.h"
#include "bridge/cli/cache_command.h"
#include "bridge/cli/exit_codes.h"
#include "bridge/cli/hash_password_command.h"
#include "bridge/cli/status_command.h"
#include "bridge/cli/test_command.h"
#include "bridge/cli/version_command.h"
#include "bridge/config/config_loader.h"
#include "bridge/daemon/daemon.h"

namespace mb::cli {
namespace {

int check_config(const std::string& path) {
    auto loaded = config::load_config_file(path);
    for (const auto& problem : loaded.problems) std::cerr << problem.to_string() << "\n";
    if (!loaded.problems.empty() || !loaded.config) {
        std::cerr << loaded.problems.size() << " problem(s) in " << path << "\n";
        return kExitUsage;
    }
    std::cout << path << ": ok (" << loaded.config->servers.size() << " server(s), "
              << loaded.config->accounts.size() << " account(s), " << loaded.config->proxies.size()
              << " proxy(ies))\n";
    return kExitOk;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"mailbridge: plain IMAP/POP3/SMTP for legacy clients, TLS + OAuth2 upstream"};
    app.require_subcommand(0, 1);

    std::string config_path;
    std::optional<int> log_level;
    app.add_option("--config", config_path, "configuration file (TOML)");
    app.add_option("--log-level", log_level, "1 errors · 2 warnings · 3 info · 4 debug · 5 trace")
        ->check(CLI::Range(1, 5));

    auto* run_cmd = app.add_subcommand("run", "run the daemon in the foreground (the default)");
    run_cmd->add_option("--config", config_path, "configuration file (TOML)")->required();
    run_cmd->add_option("--log-level", log_level, "override [daemon] log_level (1..5)")
        ->check(CLI::Range(1, 5));

    auto* check_cmd = app.add_subcommand("check-config", "validate a configuration file");
    std::string check_path;
    check_cmd->add_option("--config", config_path, "configuration file (TOML)");
    check_cmd->add_option("file", check_path, "configuration file (same as --config)");

    auto* version_cmd =
        app.add_subcommand("version", "print versions of mailbridge and its libraries");
    auto* hash_cmd = app.add_subcommand(
        "hash-password",
        "read a password on stdin, print a hash for local_password = { hash = … }");

    auto* cache_cmd = app.add_subcommand("cache", "list what the metadata cache holds");
    std::string cache_account;
    std::optional<std::string> cache_mailbox;
    std::optional<std::string> cache_login;
    cache_cmd->add_option("account", cache_account, "account name")->required();
    cache_cmd->add_option("mailbox", cache_mailbox, "list this mailbox's messages");
    cache_cmd->add_option("--login", cache_login, "only this login of the account");
    cache_cmd->add_option("--config", config_path, "configuration file (TOML)")->required();

    auto* auth_cmd = app.add_subcommand(
        "auth", "authorize a login of an authorization_code or device_code account");
    std::string auth_account;
    std::optional<std::string> auth_login;
    int auth_timeout = 300;
    auth_cmd->add_option("account", auth_account, "account name")->required();
    auth_cmd->add_option("--login", auth_login, "the user to authorize (default: the account's)");
    auth_cmd->add_option("--config", config_path, "configuration file (TOML)")->required();
    auth_cmd->add_option("--timeout", auth_timeout, "seconds to wait for the redirect (300)")
        ->check(CLI::Range(1, 3600));

    auto* status_cmd =
        app.add_subcommand("status", "ask the running daemon how it is and print a table");
    bool status_json = false;
    status_cmd->add_flag("--json", status_json, "print the daemon's report as JSON");
    status_cmd->add_option("--config", config_path, "configuration file (TOML)")->required();

    auto* test_cmd = app.add_subcommand(
        "test", "connect upstream for an account and report each step and its time");
    TestOptions test_options;
    test_cmd->add_option("account", test_options.account, "account name")->required();
    test_cmd->add_option("--login", test_options.login,
                         "the user to test (default: the account's)");
    test_cmd->add_option("--server", test_options.server, "only this [[server]] (default: all)");
    test_cmd->add_flag("--json", test_options.json, "print the steps as JSON");
    test_cmd->add_option("--config", config_path, "configuration file (TOML)")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    }

    if (*version_cmd) {
        std::cout << version_text();
        return kExitOk;
    }
    if (*hash_cmd) return hash_password_command();
    if (*status_cmd) return status_command(config_path, status_json);
    if (*test_cmd) return test_command(config_path, test_options);
    if (*cache_cmd) return cache_command(config_path, cache_account, cache_mailbox, cache_login);
    if (*auth_cmd)
        return auth_command(config_path, auth_account, auth_login,
                            std::chrono::seconds(auth_timeout));
    if (*check_cmd) {
        std::string path = check_path.empty() ? config_path : check_path;
        if (path.empty()) {
            std::cerr << "check-config: name the file with --config FILE\n";
            return kExitUsage;
        }
        return check_config(path);
    }
    if (config_path.empty()) {
        std::cerr << "mailbridge: no configuration file; run `mailbridge run --config FILE` "
                     "(see `mailbridge --help`)\n";
        return kExitUsage;
    }
    return daemon::run_daemon(config_path, log_level);
}

}  // namespace mb::cli
