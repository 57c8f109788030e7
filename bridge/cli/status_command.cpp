// `mailbridge status` (see status_command.h): one GET /readyz, then a table or the JSON.
#include "bridge/cli/status_command.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>
#include <vector>

#include "bridge/cli/exit_codes.h"
#include "bridge/config/config_loader.h"
#include "bridge/oauth/blocking_http.h"
#include "protocol/printable_text.h"

namespace mb::cli {

namespace {

using Json = nlohmann::json;

// Every cell is made printable: a login or an error text chosen by a client must not reach the
// admin's terminal as escape sequences, whatever the daemon (perhaps another version) sent. The
// daemon escapes those texts already, so backslashes stay as they are.
std::string text_of(const Json& value, const std::string& absent = "-") {
    if (value.is_string())
        return value.get<std::string>().empty()
                   ? absent
                   : protocol::printable(value.get<std::string>(), protocol::Backslash::kept);
    if (value.is_null()) return absent;
    return value.dump();
}

std::string duration_text(std::int64_t seconds) {
    if (seconds < 0) return "expired";
    if (seconds < 120) return std::to_string(seconds) + "s";
    if (seconds < 7200) return std::to_string(seconds / 60) + "m";
    if (seconds < 172800)
        return std::to_string(seconds / 3600) + "h" + std::to_string(seconds % 3600 / 60) + "m";
    return std::to_string(seconds / 86400) + "d";
}

std::string ago_text(const Json& unix_time, std::int64_t now) {
    if (!unix_time.is_number_integer()) return "-";
    return duration_text(now - unix_time.get<std::int64_t>()) + " ago";
}

std::string token_text(const std::string& state) {
    if (state == "valid") return "ready";
    if (state == "needs_authorization") return "needs authorization";
    if (state == "failing") return "failing (retrying)";
    return "not used yet";
}

// Columns padded to their widest cell; the header underlined by nothing, kept plain for grep.
class Table {
  public:
    explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    std::string render() const {
        std::vector<std::size_t> width(rows_.front().size(), 0);
        for (const auto& row : rows_)
            for (std::size_t i = 0; i < row.size(); ++i)
                width[i] = std::max(width[i], row[i].size());
        std::string out;
        for (const auto& row : rows_) {
            std::string line;
            for (std::size_t i = 0; i < row.size(); ++i) {
                line += row[i];
                if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
            }
            out += line + "\n";
        }
        return out;
    }

  private:
    std::vector<std::vector<std::string>> rows_;
};

std::string health_address(const config::HostPort& listen) {
    std::string host = listen.host;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return host + ":" + std::to_string(listen.port);
}

}  // namespace

bool status_all_ready(const Json& readyz) {
    if (!readyz.is_object()) return false;
    for (const auto& listener : readyz.value("listeners", Json::array()))
        if (!listener.value("up", false)) return false;
    for (const auto& account : readyz.value("accounts", Json::array())) {
        const std::string state = account.value("token_state", "unknown");
        if (state == "needs_authorization" || state == "failing") return false;
    }
    for (const auto& backoff : readyz.value("backoff", Json::array()))
        if (backoff.value("retry_in_seconds", 0.0) > 0) return false;
    return true;
}

std::string status_table(const Json& readyz, std::int64_t now, const std::string& address) {
    std::ostringstream out;
    out << "mailbridge " << text_of(readyz.value("version", Json())) << " at " << address << ", up "
        << duration_text(readyz.value("uptime_seconds", std::int64_t{0})) << ": "
        << (status_all_ready(readyz) ? "all ready" : "NOT READY") << "\n\n";

    Table listeners({"LISTENER", "PROTOCOL", "ADDRESS", "UPSTREAM", "SESSIONS", "STATE"});
    for (const auto& l : readyz.value("listeners", Json::array()))
        listeners.add({text_of(l.value("name", Json())), text_of(l.value("protocol", Json())),
                       text_of(l.value("address", Json())), text_of(l.value("upstream", Json())),
                       text_of(l.value("sessions", Json())),
                       l.value("up", false) ? "up" : "DOWN: " + text_of(l.value("error", Json()))});
    out << listeners.render() << "\n";

    Table accounts({"ACCOUNT", "LOGIN", "TOKEN", "EXPIRES IN", "LAST LOGIN", "LAST ERROR"});
    for (const auto& a : readyz.value("accounts", Json::array())) {
        const Json until = a.value("token_valid_until", Json());
        const Json result = a.value("last_login_result", Json());
        accounts.add(
            {text_of(a.value("name", Json())), text_of(a.value("login", Json()), "(all logins)"),
             token_text(a.value("token_state", "unknown")),
             until.is_number_integer() ? duration_text(until.get<std::int64_t>() - now) : "-",
             result.is_string() ? result.get<std::string>() + ", " +
                                      ago_text(a.value("last_login_time", Json()), now)
                                : "-",
             text_of(a.value("last_error", Json()))});
    }
    out << accounts.render();

    const auto proxies = readyz.value("proxies", Json::array());
    if (!proxies.empty()) {
        Table table({"PROXY", "URL", "LAST RESULT", "LATENCY", "WHEN", "LAST ERROR"});
        for (const auto& p : proxies) {
            const Json latency = p.value("last_latency_ms", Json());
            std::ostringstream ms;
            if (latency.is_number()) ms << static_cast<long>(latency.get<double>() + 0.5) << " ms";
            table.add({text_of(p.value("name", Json())), text_of(p.value("url", Json())),
                       text_of(p.value("last_result", Json()), "not used yet"),
                       latency.is_number() ? ms.str() : "-",
                       ago_text(p.value("last_time", Json()), now),
                       text_of(p.value("last_error", Json()))});
        }
        out << "\n" << table.render();
    }

    const auto backoff = readyz.value("backoff", Json::array());
    if (!backoff.empty()) {
        Table table({"BACKOFF", "UPSTREAM", "PROXY", "FAILURES", "RETRY IN", "LAST ERROR"});
        for (const auto& b : backoff) {
            const double wait = b.value("retry_in_seconds", 0.0);
            table.add(
                {text_of(b.value("account", Json())), text_of(b.value("upstream", Json())),
                 text_of(b.value("proxy", Json("direct"))), text_of(b.value("failures", Json())),
                 wait > 0 ? duration_text(static_cast<std::int64_t>(wait + 0.999)) : "may try now",
                 text_of(b.value("last_error", Json()))});
        }
        out << "\n" << table.render();
    }

    const Json cache = readyz.value("cache", Json::object());
    const Json enabled = cache.value("enabled", Json());
    if (enabled.is_boolean() && !enabled.get<bool>()) {
        out << "\ncache: off\n";
    } else if (enabled.is_boolean()) {
        Table table({"CACHE", "ROWS", "WRITE LATENCY (LAST)", "WRITE LATENCY (AVERAGE)"});
        auto ms = [](const Json& seconds) {
            if (!seconds.is_number()) return std::string("-");
            std::ostringstream text;
            text.setf(std::ios::fixed);
            text.precision(1);
            text << seconds.get<double>() * 1000 << " ms";
            return text.str();
        };
        for (const auto& c : cache.value("accounts", Json::array()))
            table.add({text_of(c.value("account", Json())), text_of(c.value("rows", Json())),
                       ms(c.value("write_last_seconds", Json())),
                       ms(c.value("write_average_seconds", Json()))});
        out << "\n" << table.render();
    }
    return out.str();
}

int status_command(const std::filesystem::path& config_path, bool json) {
    auto loaded = config::load_config_file(config_path);
    for (const auto& problem : loaded.problems) std::cerr << problem.to_string() << "\n";
    if (!loaded.config) return kExitUsage;
    const auto& listen = loaded.config->daemon.health_listen;
    if (!listen) {
        std::cerr << "status: the health endpoint is disabled (health_listen = \"\" in "
                  << config_path.string() << "), so there is no daemon to ask\n";
        return kExitUsage;
    }
    const std::string address = health_address(*listen);
    oauth::HttpRequest request;
    request.url = "http://" + address + "/readyz";
    request.connect_timeout = std::chrono::seconds(3);
    request.total_timeout = std::chrono::seconds(10);
    auto answer = oauth::fetch_blocking(std::move(request));
    if (!answer.ok() || (answer.status != 200 && answer.status != 503)) {
        std::cerr << "status: cannot reach the mailbridge daemon at http://" << address
                  << "/readyz: "
                  << (answer.ok() ? "HTTP " + std::to_string(answer.status) : answer.detail)
                  << " — is it running with " << config_path.string() << "?\n";
        return kExitUsage;
    }
    Json readyz = Json::parse(answer.body, nullptr, false);
    if (readyz.is_discarded() || !readyz.is_object()) {
        std::cerr << "status: http://" << address
                  << "/readyz did not answer with mailbridge's JSON — is another program "
                     "listening there?\n";
        return kExitUsage;
    }
    try {
        const bool ready = status_all_ready(readyz);
        if (json) {
            readyz["all_ready"] = ready;
            std::cout << readyz.dump(2) << "\n";
        } else {
            const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            std::cout << status_table(readyz, now, address);
        }
        return ready ? kExitOk : kExitRuntimeFailure;
    } catch (const Json::exception& e) {
        std::cerr << "status: http://" << address
                  << "/readyz answered JSON of an unexpected shape (" << e.what()
                  << ") — is the daemon the same version as this command?\n";
        return kExitUsage;
    }
}

}  // namespace mb::cli
