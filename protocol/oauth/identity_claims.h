// Whose token is it: the identity claims of an OpenID Connect id_token (OIDC Core 2, 3.1.3.7),
// and the check that they name the identity being authorized. The id_token arrives straight from
// the token endpoint over TLS, so (OIDC Core 3.1.3.7 item 6) its signature is not checked here;
// iss and aud are, when present. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace mb::protocol::oauth {

struct IdentityClaims {
    std::string issuer;                 // iss; "" when absent
    std::vector<std::string> audience;  // aud (a string or an array)
    std::string email;
    std::string preferred_username;
    std::string upn;  // Microsoft's user principal name
};

// The claims of a compact JWS id_token (header.payload.signature, payload base64url JSON).
// Errors say what is malformed (an encrypted id_token cannot be read) without quoting it.
Result<IdentityClaims> id_token_claims(std::string_view id_token);

// The claims of an OpenID Connect userinfo answer (OIDC Core 5.3.2, a JSON object).
Result<IdentityClaims> userinfo_claims(std::string_view body);

// The identity the claims name: email, else preferred_username, else upn; nullopt when none.
std::optional<std::string> named_identity(const IdentityClaims& claims);

// Checks iss against `issuer` (when both are known), `client_id` against aud (when aud is
// present), and the named identity against `expected` (case-insensitively). Returns the identity
// the claims named, or nullopt when they name none (the caller cannot tell whose token it is).
// Errors name both identities and say what to do.
Result<std::optional<std::string>> check_identity(const IdentityClaims& claims,
                                                  std::string_view expected,
                                                  std::string_view issuer,
                                                  std::string_view client_id);

}  // namespace mb::protocol::oauth
