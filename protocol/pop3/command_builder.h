// Builders for the commands the bridge sends an upstream POP3 server itself: CAPA, STLS, the AUTH
// exchange for XOAUTH2/OAUTHBEARER (RFC 5034) or PLAIN, USER/PASS, QUIT. Each returns the bytes
// to write, CRLF included; anything carrying a token or password is a Secret.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/sasl/auth_command.h"
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

using sasl::AuthCommand;

// "AUTH <mechanism>" with the initial response inline when the line fits max_inline_line (see
// sasl::auth_command).
inline AuthCommand auth_command(std::string_view mechanism,
                                const std::optional<Secret>& initial_response,
                                std::size_t max_inline_line = kMaxInlineAuthLine) {
    return sasl::auth_command(mechanism, initial_response, max_inline_line);
}

}  // namespace mb::protocol::pop3
