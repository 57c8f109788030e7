// ReadinessReporter (see readiness_reporter.h).
#include "bridge/daemon/readiness_reporter.h"

#include "bridge/version.h"

namespace mb::daemon {
namespace {

health::TokenState to_health(oauth::TokenState state) {
    switch (state) {
        case oauth::TokenState::valid:
            return health::TokenState::valid;
        case oauth::TokenState::needs_authorization:
            return health::TokenState::needs_authorization;
        case oauth::TokenState::failing:
            return health::TokenState::failing;
        case oauth::TokenState::unknown:
            return health::TokenState::unknown;
    }
    return health::TokenState::unknown;
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string protocol_name(config::Protocol protocol) {
    return protocol == config::Protocol::imap   ? "imap"
           : protocol == config::Protocol::pop3 ? "pop3"
                                                : "smtp";
}

void ReadinessReporter::record_login(const std::string& account, health::LoginResult result,
                                     const std::string& error, std::int64_t unix_time) {
    auto& last = last_logins_[account];
    last.result = result;
    last.time = unix_time;
    last.error = error;
}

void ReadinessReporter::record_proxy(const std::string& proxy, bool ok,
                                     std::optional<double> latency_ms, const std::string& error,
                                     std::int64_t unix_time) {
    auto& state = last_proxies_[proxy];
    state.last_ok = ok;
    state.last_time = unix_time;
    if (latency_ms) state.last_latency_ms = latency_ms;
    state.last_error = error;
}

health::ReadinessReport ReadinessReporter::report(const ReadinessSnapshot& snapshot) const {
    health::ReadinessReport report;
    report.listeners = snapshot.listeners;
    for (const auto& state : snapshot.backoff)
        report.backoff.push_back(
            {state.route.account, state.route.upstream, state.route.proxy, state.failures,
             static_cast<double>(state.remaining.count()) / 1000, state.last_error});
    report.version = MAILBRIDGE_VERSION;
    report.uptime_seconds = snapshot.uptime_seconds;
    report.cache_enabled = snapshot.cache_enabled;
    if (snapshot.cache_enabled) {
        std::map<std::string, health::CacheAccountState> by_account;
        for (const auto& [account, rows] : snapshot.cache_rows) {
            by_account[account].account = account;
            by_account[account].rows = rows;
        }
        for (const auto& [account, latency] : snapshot.cache_writes) {
            auto& state = by_account[account];
            state.account = account;
            state.write_last_seconds = latency.last_ms / 1000;
            state.write_average_seconds = latency.average_ms / 1000;
        }
        for (auto& [account, state] : by_account) report.cache.push_back(std::move(state));
    }
    if (!snapshot.config) return report;
    for (const auto& proxy : snapshot.config->proxies) {
        health::ProxyState state;
        if (auto it = last_proxies_.find(proxy.name); it != last_proxies_.end()) state = it->second;
        state.name = proxy.name;
        state.url = proxy.url;
        report.proxies.push_back(std::move(state));
    }
    for (const auto& account : snapshot.config->accounts) {
        bool listed = false;
        for (const auto& token : snapshot.tokens) {
            if (token.account != account.name) continue;
            report.accounts.push_back(account_state(account.name, &token));
            listed = true;
        }
        if (!listed) report.accounts.push_back(account_state(account.name, nullptr));
    }
    return report;
}

health::AccountState ReadinessReporter::account_state(const std::string& account,
                                                      const oauth::TokenStatus* token) const {
    health::AccountState state;
    state.name = account;
    if (token) {
        state.login = token->login;
        state.token_state = to_health(token->state);
        if (token->valid_until) state.token_valid_until = unix_seconds(*token->valid_until);
        state.last_error = token->last_error;
    }
    if (auto it = last_logins_.find(account); it != last_logins_.end()) {
        state.last_login_result = it->second.result;
        state.last_login_time = it->second.time;
        if (state.last_error.empty()) state.last_error = it->second.error;
    }
    return state;
}

}  // namespace mb::daemon
