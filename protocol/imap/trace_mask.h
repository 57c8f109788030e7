// Protocol trace for the log (level 5): renders one IMAP line (or a whole logical command with
// its literals) as printable text with every credential replaced by "***". Pure; the session
// says which way the line travels and whether a SASL exchange is in progress.
#pragma once

#include <string>
#include <string_view>

namespace mb::protocol::imap {

enum class TraceDirection {
    Command,  // client to server: local client → bridge, and bridge → upstream
    Response  // server to client
};

// Commands: "a1 LOGIN user pass" → "a1 LOGIN user ***"; "a1 AUTHENTICATE PLAIN <b64>" →
// "a1 AUTHENTICATE PLAIN ***"; during a SASL exchange every client line except "*" (cancel) and
// the empty line is "***". Responses are shown as sent. Text is escaped by printable()
// (protocol/printable_text.h), the trailing CRLF dropped, and the result cut at
// limits::kMaxTraceLineLength.
std::string mask_trace_line(std::string_view line, TraceDirection direction, bool in_sasl_exchange);

}  // namespace mb::protocol::imap
