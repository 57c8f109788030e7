// POP3 trace masking: keeps the command and the arguments that are not credentials.
#include "protocol/pop3/trace_mask.h"

#include "protocol/printable_text.h"
#include "protocol/text_command_words.h"

namespace mb::protocol::pop3 {

std::string mask_trace_command(std::string_view line, bool in_sasl_exchange) {
    line = without_line_end(line);
    if (in_sasl_exchange) return line.empty() || line == "*" ? std::string(line) : "***";
    // How many leading words may be shown before the credentials begin.
    std::size_t shown_words = 0;
    if (command_is(line, "PASS")) {
        shown_words = 1;
    } else if (command_is(line, "APOP") || command_is(line, "AUTH")) {
        shown_words = 2;
    } else {
        return printable_trace_line(line);
    }
    return mask_after_words(line, shown_words);
}

bool starts_sasl_exchange(std::string_view line) {
    return command_is(line, "AUTH") && word_count(without_line_end(line)) == 2;
}

}  // namespace mb::protocol::pop3
