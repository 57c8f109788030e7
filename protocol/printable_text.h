// Client-controlled text made safe for a log line or a terminal: control characters, the C1
// range and bytes that are not UTF-8 are shown escaped, so a login name cannot forge a journal
// priority ("\n<3>…"), start a new log line or send escape sequences to an admin's terminal.
#pragma once

#include <string>
#include <string_view>

namespace mb::protocol {

// Valid UTF-8 outside the control ranges is kept as it is. Escaped: '\\' as "\\\\", CR, LF and
// TAB as "\r" "\n" "\t", other C0 bytes and DEL as "\xNN", a C1 character (U+0080..U+009F) as
// its two bytes "\xc2\xNN", and each byte of an invalid or truncated UTF-8 sequence as "\xNN".
// Backslash::kept leaves '\\' as it is: for text that an earlier printable() already escaped
// (the status table shows /readyz texts), where escaping it again would double every escape.
enum class Backslash { escaped, kept };
std::string printable(std::string_view text, Backslash backslash = Backslash::escaped);

// One protocol line for the trace: its CRLF (or LF) dropped, printable(), and cut at
// limits::kMaxTraceLineLength with "... (N more bytes)".
std::string printable_trace_line(std::string_view line);

// Cuts an already printable trace text at limits::kMaxTraceLineLength, saying how much was cut.
std::string cut_trace_text(std::string text);

// `line` without a trailing LF or CRLF.
std::string_view without_line_end(std::string_view line);

}  // namespace mb::protocol
