// Builders for the responses the bridge sends to its local IMAP clients itself (before login, and
// when it ends a session): greeting, CAPABILITY, tagged and untagged status responses, BYE,
// continuation requests and the ID answer. Each returns the bytes to write, CRLF included. Text
// is made safe for one line (CR, LF and NUL become spaces).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/imap/response_parser.h"

namespace mb::protocol::imap {

// "* OK [CAPABILITY <caps>] <text>\r\n"
std::string greeting_response(const std::vector<std::string_view>& capabilities,
                              std::string_view text);
// "* CAPABILITY <caps>\r\n"
std::string capability_response(const std::vector<std::string_view>& capabilities);
// "<tag> OK|NO|BAD [<code>] <text>\r\n"; `code` without brackets, empty for none.
// Throws std::invalid_argument for a status other than Ok, No, Bad (a programming error).
std::string tagged_response(std::string_view tag, ResponseStatus status, std::string_view code,
                            std::string_view text);
// "* OK|NO|BAD|PREAUTH|BYE [<code>] <text>\r\n". Throws std::invalid_argument for None.
std::string untagged_response(ResponseStatus status, std::string_view code, std::string_view text);
// "* BYE <text>\r\n"
std::string bye_response(std::string_view text);
// "+ <payload>\r\n" (payload: base64 or text; "+ \r\n" when empty)
std::string continuation_response(std::string_view payload);
// "* ID NIL\r\n" or "* ID ("name" "value" ...)\r\n" (RFC 2971)
std::string id_response(
    const std::vector<std::pair<std::string_view, std::optional<std::string_view>>>& fields);

}  // namespace mb::protocol::imap
