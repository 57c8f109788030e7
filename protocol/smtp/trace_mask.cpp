// SMTP trace masking: keeps the command and its mechanism, never an AUTH response.
#include "protocol/smtp/trace_mask.h"

#include "protocol/printable_text.h"
#include "protocol/text_command_words.h"

namespace mb::protocol::smtp {

std::string mask_trace_command(std::string_view line, bool in_sasl_exchange) {
    line = without_line_end(line);
    if (in_sasl_exchange) return line.empty() || line == "*" ? std::string(line) : "***";
    if (!command_is(line, "AUTH")) return printable_trace_line(line);
    return mask_after_words(line, 2);
}

}  // namespace mb::protocol::smtp
