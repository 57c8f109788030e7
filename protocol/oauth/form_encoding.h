// application/x-www-form-urlencoded bodies for OAuth2 requests: every byte outside the RFC 3986
// unreserved set (ALPHA DIGIT - . _ ~) is percent-encoded with upper-case hex (space → %20).
// Pure. Bodies carry client secrets, so the builders return Secrets.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/secret.h"

namespace mb::protocol::oauth {

std::string percent_encode(std::string_view text);

struct FormField {
    std::string_view name;
    std::string_view value;
};

// "name=value&name=value" in the order given.
Secret form_encode(std::span<const FormField> fields);

// The client_credentials grant (RFC 6749 4.4) with client_secret_post authentication (2.3.1):
// grant_type, client_id, client_secret (omitted when empty), scope (space-joined, omitted when
// there are none).
Secret client_credentials_form(std::string_view client_id, const Secret& client_secret,
                               const std::vector<std::string>& scopes);

// The refresh_token grant (RFC 6749 6). No scope: the server grants the original scopes.
Secret refresh_token_form(std::string_view client_id, const Secret& client_secret,
                          const Secret& refresh_token);

// The authorization_code grant (RFC 6749 4.1.3) with the PKCE code_verifier (RFC 7636 4.5).
Secret authorization_code_form(std::string_view client_id, const Secret& client_secret,
                               const Secret& code, std::string_view redirect_uri,
                               const Secret& code_verifier);

// The device_code grant (RFC 8628 3.4).
Secret device_code_form(std::string_view client_id, const Secret& client_secret,
                        const Secret& device_code);

// The device authorization request (RFC 8628 3.1): client_id, client_secret, scope.
Secret device_authorization_form(std::string_view client_id, const Secret& client_secret,
                                 const std::vector<std::string>& scopes);

}  // namespace mb::protocol::oauth
