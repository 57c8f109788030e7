// Protocol trace for the log (level 5) of POP3 client commands: the line as printable text with
// every credential replaced by "***". Pure; the caller says whether a SASL exchange is running.
#pragma once

#include <string>
#include <string_view>

namespace mb::protocol::pop3 {

// "PASS secret" → "PASS ***"; "APOP user digest" → "APOP user ***"; "AUTH PLAIN <b64>" →
// "AUTH PLAIN ***" ("AUTH" and "AUTH PLAIN" alone are shown); during a SASL exchange every line
// except "*" (cancel) and the empty line is "***". Escaped and cut as printable_trace_line().
std::string mask_trace_command(std::string_view line, bool in_sasl_exchange);

// True for "AUTH <mechanism>" without an initial response: the client's next lines are SASL.
bool starts_sasl_exchange(std::string_view line);

}  // namespace mb::protocol::pop3
