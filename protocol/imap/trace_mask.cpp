// Trace masking implementation: finds where the credentials of LOGIN and AUTHENTICATE begin and
// cuts the line there, then makes the rest printable and bounded.
#include "protocol/imap/trace_mask.h"

#include <algorithm>

#include "protocol/imap/lexer.h"
#include "protocol/imap/syntax.h"
#include "protocol/printable_text.h"

namespace mb::protocol::imap {

namespace {

constexpr std::string_view kMask = "***";

// Length of the astring at the start of `text` (atom, quoted or literal with its body), or 0.
// A trace reads leniently: whatever escapes a quoted string holds, it ends at its closing quote.
std::size_t astring_length(std::string_view text) {
    return scan_astring(text, Quoting::Lenient, UINT64_MAX).length;
}

// Index of the first byte after `pos` that is not a space.
std::size_t skip_spaces(std::string_view line, std::size_t pos) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    return pos;
}

// Index of the next space at or after `pos`, or the line's end.
std::size_t token_end(std::string_view line, std::size_t pos) {
    return std::min(line.find(' ', pos), line.size());
}

// The part of a command line that may be shown: up to the first credential byte.
std::string_view visible_prefix(std::string_view line, bool& masked) {
    masked = false;
    const std::size_t name_start = skip_spaces(line, token_end(line, skip_spaces(line, 0)));
    const std::size_t name_end = token_end(line, name_start);
    std::string_view name = line.substr(name_start, name_end - name_start);
    const std::size_t args = skip_spaces(line, name_end);
    if (args == line.size()) return line;
    if (iequals(name, "AUTHENTICATE")) {
        const std::size_t mechanism_end = token_end(line, args);
        if (skip_spaces(line, mechanism_end) == line.size()) return line;
        masked = true;
        return line.substr(0, mechanism_end);
    }
    if (iequals(name, "LOGIN")) {
        masked = true;
        const std::size_t user = astring_length(line.substr(args));
        return line.substr(0, user == 0 ? name_end : args + user);
    }
    return line;
}

}  // namespace

std::string mask_trace_line(std::string_view line, TraceDirection direction,
                            bool in_sasl_exchange) {
    line = without_line_end(line);
    if (direction == TraceDirection::Command && in_sasl_exchange) {
        if (line.empty() || line == "*") return std::string(line);
        return std::string(kMask);
    }
    bool masked = false;
    std::string_view shown =
        direction == TraceDirection::Command ? visible_prefix(line, masked) : line;
    std::string out = printable(shown);
    if (masked) out.append(" ").append(kMask);
    return cut_trace_text(std::move(out));
}

}  // namespace mb::protocol::imap
