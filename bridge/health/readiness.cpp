// Readiness report: the ready rule and the JSON rendering. See readiness.h.
#include "bridge/health/readiness.h"

#include <algorithm>

#include "protocol/printable_text.h"

namespace mb::health {
namespace {

// Error texts can quote a client's login or a server's words: JSON escapes C0 controls but not
// DEL or C1 (U+009B starts a terminal escape), so they are made printable first.
nlohmann::ordered_json text_or_null(const std::string& text) {
    return text.empty() ? nlohmann::ordered_json(nullptr)
                        : nlohmann::ordered_json(protocol::printable(text));
}

template <typename T>
nlohmann::ordered_json optional_or_null(const std::optional<T>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string_view to_string(TokenState state) {
    switch (state) {
        case TokenState::valid:
            return "valid";
        case TokenState::needs_authorization:
            return "needs_authorization";
        case TokenState::failing:
            return "failing";
        case TokenState::unknown:
            return "unknown";
    }
    return "unknown";
}

bool ReadinessReport::ready() const {
    return std::all_of(listeners.begin(), listeners.end(),
                       [](const ListenerState& listener) { return listener.up; });
}

void to_json(nlohmann::ordered_json& out, const ListenerState& listener) {
    out = nlohmann::ordered_json{{"name", listener.name},
                                 {"protocol", listener.protocol},
                                 {"address", listener.address},
                                 {"up", listener.up},
                                 {"error", text_or_null(listener.error)},
                                 {"upstream", listener.upstream},
                                 {"sessions", listener.sessions}};
}

void to_json(nlohmann::ordered_json& out, const AccountState& account) {
    nlohmann::ordered_json result = nullptr;
    if (account.last_login_result) result = std::string(to_string(*account.last_login_result));
    out = nlohmann::ordered_json{{"name", account.name},
                                 {"login", protocol::printable(account.login)},
                                 {"token_state", std::string(to_string(account.token_state))},
                                 {"token_valid_until", optional_or_null(account.token_valid_until)},
                                 {"last_login_result", result},
                                 {"last_login_time", optional_or_null(account.last_login_time)},
                                 {"last_error", text_or_null(account.last_error)}};
}

void to_json(nlohmann::ordered_json& out, const ProxyState& proxy) {
    out = nlohmann::ordered_json{
        {"name", proxy.name},
        {"url", proxy.url},
        {"last_result", proxy.last_ok ? nlohmann::ordered_json(*proxy.last_ok ? "ok" : "failed")
                                      : nlohmann::ordered_json(nullptr)},
        {"last_time", optional_or_null(proxy.last_time)},
        {"last_latency_ms", proxy.last_latency_ms ? nlohmann::ordered_json(*proxy.last_latency_ms)
                                                  : nlohmann::ordered_json(nullptr)},
        {"last_error", text_or_null(proxy.last_error)}};
}

void to_json(nlohmann::ordered_json& out, const CacheAccountState& cache) {
    out = nlohmann::ordered_json{
        {"account", cache.account},
        {"rows", cache.rows},
        {"write_last_seconds", optional_or_null(cache.write_last_seconds)},
        {"write_average_seconds", optional_or_null(cache.write_average_seconds)}};
}

void to_json(nlohmann::ordered_json& out, const BackoffState& backoff) {
    out = nlohmann::ordered_json{{"account", backoff.account},
                                 {"upstream", backoff.upstream},
                                 {"proxy", backoff.proxy.empty() ? "direct" : backoff.proxy},
                                 {"failures", backoff.failures},
                                 {"retry_in_seconds", backoff.retry_in_seconds},
                                 {"last_error", text_or_null(backoff.last_error)}};
}

void to_json(nlohmann::ordered_json& out, const ReadinessReport& report) {
    out = nlohmann::ordered_json{
        {"ready", report.ready()},
        {"version", report.version},
        {"uptime_seconds", report.uptime_seconds},
        {"listeners", report.listeners},
        {"accounts", report.accounts},
        {"proxies", report.proxies},
        {"backoff", report.backoff},
        {"cache",
         {{"enabled", optional_or_null(report.cache_enabled)}, {"accounts", report.cache}}}};
}

std::string to_json_text(const ReadinessReport& report) {
    return nlohmann::ordered_json(report).dump(2, ' ', false,
                                               nlohmann::ordered_json::error_handler_t::replace) +
           "\n";
}

}  // namespace mb::health
