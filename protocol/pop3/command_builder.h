// Builders for the commands the bridge sends an upstream POP3 server itself: CAPA, STLS, the AUTH
// exchange for XOAUTH2/OAUTHBEARER (RFC 5034) or PLAIN, USER/PASS, QUIT. Each returns the bytes
// to write, CRLF included; anything carrying a token or password is a Secret.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/sasl/bearer.h"
#include "protocol/secret.h"

namespace mb::protocol::pop3 {

// RFC 5034 §4: an AUTH command with its initial response must fit a 255-octet line (RFC 2449);
// a longer response (a Microsoft token) is sent after the server's "+ " instead.
inline constexpr std::size_t kMaxInlineAuthLine = 255;

std::string capa_command();                       // "CAPA\r\n"
std::string stls_command();                       // "STLS\r\n"
std::string quit_command();                       // "QUIT\r\n"
std::string user_command(std::string_view user);  // "USER <user>\r\n"
Secret pass_command(const Secret& password);      // "PASS <password>\r\n"

struct AuthCommand {
    Secret first_line;  // "AUTH <mech> <ir>\r\n", or "AUTH <mech>\r\n" when the response waits
    // "<ir>\r\n" to send after the server's "+ " (nullopt when the response went inline).
    std::optional<Secret> deferred_response;
};

// Puts the initial response inline when the whole line fits `max_inline_line` (an empty
// response is sent as "="), else defers it.
AuthCommand auth_command(std::string_view mechanism, const Secret& initial_response,
                         std::size_t max_inline_line = kMaxInlineAuthLine);

// The line that answers a bearer mechanism's error challenge ("+ <base64 JSON>") so that the
// server sends its -ERR: "\r\n" for XOAUTH2, "AQ==\r\n" for OAUTHBEARER.
std::string bearer_error_answer_line(sasl::BearerMechanism mechanism);

// "*\r\n": cancels an AUTH exchange (RFC 5034 §4).
std::string auth_cancel_line();

}  // namespace mb::protocol::pop3
