// Parsing of an OAuth2 token endpoint answer (RFC 6749 5.1 success, 5.2 error) into values. Pure:
// the caller passes the body (and decides from the HTTP status which answer it expects); tokens
// come back as Secrets so they cannot be logged by accident.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::oauth {

// Lifetime assumed when the answer has no expires_in (RFC 6749 leaves it to the server's
// documentation; Microsoft and Google issue one-hour tokens). An upstream that rejects the token
// earlier makes the bridge invalidate it and fetch a new one.
inline constexpr std::chrono::seconds kDefaultExpiresIn{3600};
// Longer lifetimes are cut to this, so a wrong figure cannot pin a token for years.
inline constexpr std::chrono::seconds kMaxExpiresIn{366 * 24 * 3600};

// RFC 6749 5.1.
struct TokenGrant {
    Secret access_token;
    std::string token_type;  // "Bearer" as the server spelled it
    std::chrono::seconds expires_in = kDefaultExpiresIn;
    bool expires_in_defaulted = false;  // the answer had no expires_in
    std::optional<Secret> refresh_token;
    std::optional<std::string> scope;
    std::optional<Secret> id_token;  // OpenID Connect (scope openid); see identity_claims.h
};

// RFC 6749 5.2: what the server said when it refused.
struct TokenErrorReply {
    std::string error;        // e.g. "invalid_client"
    std::string description;  // error_description, "" when absent
    std::string uri;          // error_uri, "" when absent
};

using TokenResponse = std::variant<TokenGrant, TokenErrorReply>;

// A body with an "error" member is a TokenErrorReply; otherwise it must be a valid grant:
// access_token a non-empty string, token_type "Bearer" (any case), expires_in a non-negative
// integer or a string of digits (absent → kDefaultExpiresIn), refresh_token, scope and id_token
// strings.
// Errors say what is wrong without quoting token values.
Result<TokenResponse> parse_token_response(std::string_view body);

}  // namespace mb::protocol::oauth
