// Builders for the commands the bridge sends an upstream SMTP server itself: EHLO, STARTTLS, the
// AUTH exchange for XOAUTH2/OAUTHBEARER (or PLAIN for password accounts) and QUIT. Each returns
// the bytes to write, CRLF included; anything carrying a token or password is a Secret.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/sasl/bearer.h"
#include "protocol/secret.h"

namespace mb::protocol::smtp {

// Longest AUTH line sent with its initial response inline: RFC 5321's 512-octet command line.
// Longer responses go after the server's "334" instead, because servers refuse long AUTH lines
// (Dovecot submission: "500 5.5.2 Line too long" past about 1 KB), and OAuth2 tokens are long.
inline constexpr std::size_t kMaxInlineAuthLine = 512;

std::string ehlo_command(std::string_view domain);  // "EHLO <domain>\r\n"
std::string starttls_command();                     // "STARTTLS\r\n"
std::string quit_command();                         // "QUIT\r\n"

struct AuthCommand {
    Secret first_line;  // "AUTH <mech> <ir>\r\n", or "AUTH <mech>\r\n" when the response waits
    // "<ir>\r\n" to send after the server's "334 " (nullopt when the response went inline).
    std::optional<Secret> deferred_response;
};

// Puts the initial response inline when the whole line fits `max_inline_line` (an empty response
// is sent as "="), else defers it.
AuthCommand auth_command(std::string_view mechanism, const Secret& initial_response,
                         std::size_t max_inline_line = kMaxInlineAuthLine);

// The line that answers a bearer mechanism's error challenge ("334 <base64 JSON>"), so that the
// server sends its 535: "\r\n" for XOAUTH2, "AQ==\r\n" for OAUTHBEARER.
std::string bearer_error_answer_line(sasl::BearerMechanism mechanism);

// "*\r\n": cancels an AUTH exchange (RFC 4954 §4).
std::string auth_cancel_line();

}  // namespace mb::protocol::smtp
