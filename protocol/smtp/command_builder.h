// Builders for the commands the bridge sends an upstream SMTP server itself: EHLO, STARTTLS, the
// AUTH exchange for XOAUTH2/OAUTHBEARER (or PLAIN for password accounts) and QUIT. Each returns
// the bytes to write, CRLF included; anything carrying a token or password is a Secret.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/sasl/auth_command.h"
#include "protocol/secret.h"

namespace mb::protocol::smtp {

// Longest AUTH line sent with its initial response inline: RFC 5321's 512-octet command line.
// Longer responses go after the server's "334" instead, because servers refuse long AUTH lines
// (Dovecot submission: "500 5.5.2 Line too long" past about 1 KB), and OAuth2 tokens are long.
inline constexpr std::size_t kMaxInlineAuthLine = 512;

std::string ehlo_command(std::string_view domain);  // "EHLO <domain>\r\n"
std::string starttls_command();                     // "STARTTLS\r\n"
std::string quit_command();                         // "QUIT\r\n"

using sasl::AuthCommand;

// "AUTH <mechanism>" with the initial response inline when the line fits max_inline_line (see
// sasl::auth_command).
inline AuthCommand auth_command(std::string_view mechanism,
                                const std::optional<Secret>& initial_response,
                                std::size_t max_inline_line = kMaxInlineAuthLine) {
    return sasl::auth_command(mechanism, initial_response, max_inline_line);
}

}  // namespace mb::protocol::smtp
