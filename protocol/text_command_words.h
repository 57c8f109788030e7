// Words of a POP3 or SMTP command line ("VERB arg arg"), for the trace masks: which command it
// is, how many words it has, and the line with everything after its first words masked. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mb::protocol {

// The first word of `line` is `verb` (ASCII, any case).
bool command_is(std::string_view line, std::string_view verb);

// Words separated by spaces.
std::size_t word_count(std::string_view line);

// The first `words` words shown (printable, cut as a trace line), then " ***" when anything
// followed them.
std::string mask_after_words(std::string_view line, std::size_t words);

}  // namespace mb::protocol
