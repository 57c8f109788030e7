// The values the TokenManager hands out and reports: an access token with its expiry, the
// readiness state of one token key for /readyz, and refresh results for metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/secret.h"

namespace mb::oauth {

// Where the manager got a token: a still-valid row of the token store, the refresh_token grant, or
// a fresh grant (client credentials).
enum class TokenOrigin { stored, refreshed, obtained };
// "from the token store", "refreshed", "obtained"
std::string_view to_string(TokenOrigin origin);

struct AccessToken {
    Secret value;  // the bearer token for XOAUTH2/OAUTHBEARER
    TokenOrigin origin = TokenOrigin::obtained;
    std::chrono::steady_clock::time_point expires_at;
    std::chrono::system_clock::time_point valid_until;  // the same instant, for display
};

enum class TokenState { unknown, valid, needs_authorization, failing };
// "unknown", "valid", "needs_authorization", "failing"
std::string_view to_string(TokenState state);

enum class RefreshResult { success, transient_error, permanent_error };
// Metrics label values: "success", "transient_error", "permanent_error"
std::string_view to_string(RefreshResult result);

// One token key: an account (client_credentials, login "") or an account and a login.
struct TokenStatus {
    std::string account;
    std::string login;
    TokenState state = TokenState::unknown;
    std::optional<std::chrono::system_clock::time_point> valid_until;
    std::string last_error;  // "" after a success
    std::uint64_t refreshes_success = 0;
    std::uint64_t refreshes_transient_error = 0;
    std::uint64_t refreshes_permanent_error = 0;
};

}  // namespace mb::oauth
