// Protocol trace for the log (level 5) of SMTP client commands: the line as printable text with
// the credentials of AUTH replaced by "***". Pure.
#pragma once

#include <string>
#include <string_view>

namespace mb::protocol::smtp {

// "AUTH PLAIN <b64>" → "AUTH PLAIN ***" ("AUTH PLAIN" alone is shown); during a SASL exchange
// every line except "*" (cancel) and the empty line is "***". Other lines are escaped and cut
// as printable_trace_line().
std::string mask_trace_command(std::string_view line, bool in_sasl_exchange);

}  // namespace mb::protocol::smtp
