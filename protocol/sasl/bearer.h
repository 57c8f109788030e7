// OAuth2 bearer SASL mechanisms for the upstream login: XOAUTH2 (Google/Microsoft) and
// OAUTHBEARER (RFC 7628) initial responses, the server's base64 JSON error challenge, and the
// answer that ends a failed exchange (XOAUTH2: an empty line; OAUTHBEARER: "\x01", "AQ==").
// Tokens and encoded responses are Secret. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::sasl {

enum class BearerMechanism { Xoauth2, OAuthBearer };

// "XOAUTH2" or "OAUTHBEARER", as used in AUTHENTICATE / AUTH commands.
std::string_view mechanism_name(BearerMechanism mechanism);

// base64("user=" user "\x01auth=Bearer " token "\x01\x01").
Result<Secret> xoauth2_initial_response(std::string_view user, const Secret& token);

// base64("n,a=" user "," "\x01host=" host "\x01port=" port "\x01auth=Bearer " token
// "\x01\x01"), with ',' and '=' in the user escaped as RFC 5801 requires.
Result<Secret> oauthbearer_initial_response(std::string_view user, std::string_view host,
                                            std::uint16_t port, const Secret& token);

// The text of the server's error challenge (a JSON object such as
// {"status":"400","schemes":"Bearer","scope":"..."}), decoded from the continuation payload.
Result<std::string> decode_bearer_error(std::string_view challenge_base64);

// What the client sends after that challenge so the server finishes with its failure reply:
// "" (an empty line) for XOAUTH2, "AQ==" (base64 of \x01) for OAUTHBEARER.
std::string_view bearer_error_answer(BearerMechanism mechanism);

}  // namespace mb::protocol::sasl
