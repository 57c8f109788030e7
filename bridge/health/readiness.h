// The readiness report behind GET /readyz: each listener (up or down) and each account's token
// state and last upstream login. Plain structs filled by the daemon on the loop thread through a
// ReadinessProvider; the health server only renders them. Never put a secret in any field.
//
// JSON shape (times are unix seconds, absent values are null):
// {"ready": true,
//  "listeners": [{"name": "imap", "protocol": "imap", "address": "127.0.0.1:1143", "up": true,
//                 "error": null}],
//  "accounts": [{"name": "alice", "login": "alice@example.com", "token_state": "valid",
//                "token_valid_until": 1718000000, "last_login_result": "ok",
//                "last_login_time": 1717990000, "last_error": null}]}
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/health/metric_labels.h"

namespace mb::health {

enum class TokenState {
    valid,                // an access token is held (see token_valid_until)
    needs_authorization,  // no usable grant: run `mailbridge auth ACCOUNT`
    failing,              // the last refresh failed; retrying
    unknown,              // not tried yet
};
std::string_view to_string(TokenState state);

struct ListenerState {
    std::string name;      // [[server]] name
    std::string protocol;  // "imap" | "pop3" | "smtp"
    std::string address;   // "127.0.0.1:1143"
    bool up = false;
    std::string error;         // why it is down ("" = none)
    std::string upstream;      // "outlook.office365.com:993"
    std::size_t sessions = 0;  // open now
};

// One entry per account, or per account and login for tokens that belong to one login.
struct AccountState {
    std::string name;
    std::string login;  // "" for a token shared by every login of the account
    TokenState token_state = TokenState::unknown;
    std::optional<std::int64_t> token_valid_until;  // unix seconds
    std::optional<LoginResult> last_login_result;
    std::optional<std::int64_t> last_login_time;  // unix seconds
    std::string last_error;                       // "" = none; must not contain a secret
};

// The last tunnel through a [[proxy]].
struct ProxyState {
    std::string name;
    std::string url;
    std::optional<bool> last_ok;            // null until the first attempt
    std::optional<std::int64_t> last_time;  // unix seconds
    std::optional<double> last_latency_ms;  // of the last successful tunnel
    std::string last_error;                 // "" = none; never a secret
};

// What the metadata cache holds for an account and how fast its writes are.
struct CacheAccountState {
    std::string account;
    std::int64_t rows = 0;                        // messages, as of the last count
    std::optional<double> write_last_seconds;     // submission to commit, newest batch
    std::optional<double> write_average_seconds;  // over all the account's updates
};

// Logins of an account to an upstream through a proxy (or direct) that failed transiently in a
// row (see UpstreamBackoff).
struct BackoffState {
    std::string account;
    std::string upstream;
    std::string proxy;  // [[proxy]] name; empty = direct (JSON "direct")
    int failures = 0;
    double retry_in_seconds = 0;  // 0: the next login may try
    std::string last_error;
};

struct ReadinessReport {
    std::string version;  // of the daemon
    std::int64_t uptime_seconds = 0;
    std::optional<bool> cache_enabled;  // null: not reported
    std::vector<CacheAccountState> cache;
    std::vector<ListenerState> listeners;
    std::vector<AccountState> accounts;
    std::vector<ProxyState> proxies;
    std::vector<BackoffState> backoff;
    // True when every listener is up.
    bool ready() const;
};

using ReadinessProvider = std::function<ReadinessReport()>;

void to_json(nlohmann::ordered_json& out, const ListenerState& listener);
void to_json(nlohmann::ordered_json& out, const AccountState& account);
void to_json(nlohmann::ordered_json& out, const ProxyState& proxy);
void to_json(nlohmann::ordered_json& out, const CacheAccountState& cache);
void to_json(nlohmann::ordered_json& out, const BackoffState& backoff);
void to_json(nlohmann::ordered_json& out, const ReadinessReport& report);
// The report as indented JSON text ending in a newline; invalid UTF-8 in any field is replaced.
std::string to_json_text(const ReadinessReport& report);

}  // namespace mb::health
