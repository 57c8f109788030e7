// The closed sets of label values the daemon reports in metrics and readiness: traffic direction,
// login outcome, token refresh outcome. Callers pass these enums, never free-form strings, so the
// label values (and the cardinality of every metric) stay fixed.
#pragma once

#include <string_view>

namespace mb::health {

enum class Direction {
    client_to_upstream,  // bytes the legacy client sent, relayed upstream
    upstream_to_client,  // bytes the upstream server sent, relayed to the client
};

enum class LoginResult {
    ok,                    // the upstream accepted the login
    local_rejected,        // unknown login or wrong local password
    token_unavailable,     // no usable OAuth2 token (needs authorization, or the refresh failed)
    upstream_rejected,     // the upstream refused the SASL authentication
    upstream_unreachable,  // DNS, TCP, proxy, TLS or timeout on the way upstream
};

enum class TokenRefreshResult {
    ok,                   // a new access token arrived
    needs_authorization,  // the grant was refused: run `mailbridge auth ACCOUNT`
    failed,               // network or token endpoint error; retried later
};

constexpr std::string_view to_string(Direction d) {
    switch (d) {
        case Direction::client_to_upstream:
            return "client_to_upstream";
        case Direction::upstream_to_client:
            return "upstream_to_client";
    }
    return "unknown";
}

constexpr std::string_view to_string(LoginResult r) {
    switch (r) {
        case LoginResult::ok:
            return "ok";
        case LoginResult::local_rejected:
            return "local_rejected";
        case LoginResult::token_unavailable:
            return "token_unavailable";
        case LoginResult::upstream_rejected:
            return "upstream_rejected";
        case LoginResult::upstream_unreachable:
            return "upstream_unreachable";
    }
    return "unknown";
}

constexpr std::string_view to_string(TokenRefreshResult r) {
    switch (r) {
        case TokenRefreshResult::ok:
            return "ok";
        case TokenRefreshResult::needs_authorization:
            return "needs_authorization";
        case TokenRefreshResult::failed:
            return "failed";
    }
    return "unknown";
}

}  // namespace mb::health
