// Parser for the upstream POP3 responses the bridge must understand itself before login: status
// lines ("+OK", "-ERR", with an optional RFC 2449 "[CODE]"), SASL continuations ("+ base64"),
// and the CAPA list. Views point into the caller's text. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace mb::protocol::pop3 {

struct StatusLine {
    enum class Kind { Ok, Err, Continuation };
    Kind kind = Kind::Ok;
    std::string_view code;  // inside "[...]" after the status, e.g. "SYS/TEMP"; empty for none
    // The human text after the status (and code); for a continuation, the base64 payload.
    std::string_view text;
};

// Parses one line, with or without its CRLF.
Result<StatusLine> parse_status_line(std::string_view line);

struct Capabilities {
    std::vector<std::string> sasl_mechanisms;  // upper-case, from "SASL m1 m2 …"
    bool stls = false;
    bool pipelining = false;
    bool user = false;
    bool resp_codes = false;
    bool auth_resp_code = false;
    bool uidl = false;
    bool top = false;
    std::vector<std::string> lines;  // every capability line as sent (dot-stuffing removed)

    bool has_sasl(std::string_view mechanism) const;
};

// Parses a whole CAPA response: "+OK …\r\n", the capability lines, ".\r\n" (bare LF line ends are
// taken too). Fails on "-ERR", a missing terminator, or more than kMaxCapabilities lines.
Result<Capabilities> parse_capa_response(std::string_view response);

}  // namespace mb::protocol::pop3
