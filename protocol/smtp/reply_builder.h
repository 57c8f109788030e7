// Builders for the replies the bridge sends its local SMTP clients itself (greeting, replies to
// commands it answers, refusals, SASL challenges). Each returns the bytes to write, CRLF included.
// Text is made safe for one line (CR, LF and NUL become spaces).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mb::protocol::smtp {

// "<code> <enhanced> <text>\r\n"; without the enhanced code when `enhanced` is empty.
// Throws std::invalid_argument for a code outside 200..599 (a programming error).
std::string reply(int code, std::string_view enhanced, std::string_view text);

// "<code>-<line>\r\n" for every line but the last, "<code> <line>\r\n" for the last.
// Throws std::invalid_argument for an empty list or a code outside 200..599.
std::string multiline_reply(int code, const std::vector<std::string_view>& lines);

// "220 <domain> <text>\r\n"
std::string greeting_reply(std::string_view domain, std::string_view text);

// "334 <base64>\r\n" ("334 \r\n" when empty): an AUTH challenge.
std::string auth_challenge_reply(std::string_view challenge_base64);

}  // namespace mb::protocol::smtp
