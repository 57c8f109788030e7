// Parser for the upstream IMAP responses the bridge must understand itself: the greeting
// (* OK / * PREAUTH / * BYE), untagged CAPABILITY, continuation requests ("+ ..." with a base64
// SASL payload) and tagged OK/NO/BAD with their response codes. One line at a time (literals are
// not expected in these responses). The result holds views into the caller's line.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace mb::protocol::imap {

enum class ResponseStatus { None, Ok, No, Bad, PreAuth, Bye };

struct ResponseCode {
    std::string_view name;       // as sent, e.g. "AUTHENTICATIONFAILED", "CAPABILITY"
    std::string_view arguments;  // what follows the name inside the brackets, may be empty
    bool is(std::string_view code_name) const;  // case-insensitive name comparison
};

struct Response {
    enum class Kind { Untagged, Tagged, Continuation };
    Kind kind = Kind::Untagged;
    std::string_view tag;                          // Tagged only
    ResponseStatus status = ResponseStatus::None;  // None: untagged data (CAPABILITY, EXISTS…)
    std::string_view data_name;                    // untagged data: "CAPABILITY", "EXISTS", …
    std::optional<std::uint32_t> number;           // untagged data with a leading number
    std::optional<ResponseCode> code;              // "[...]" after a status word
    // Status responses: the human text after the code. Untagged data: what follows data_name.
    // Continuation: the payload after "+ " (base64 during SASL, or text).
    std::string_view text;
    // From "* CAPABILITY ..." or a "[CAPABILITY ...]" code, in the order sent.
    std::vector<std::string_view> capabilities;
};

// Parses one response line, with or without its CRLF.
Result<Response> parse_response(std::string_view line);

// Splits a space-separated capability list (bounded by limits::kMaxCapabilities).
Result<std::vector<std::string_view>> split_capabilities(std::string_view list);

bool has_capability(const std::vector<std::string_view>& capabilities, std::string_view name);

}  // namespace mb::protocol::imap
