// Word splitting of POP3/SMTP command lines for the trace masks.
#include "protocol/text_command_words.h"

#include "protocol/printable_text.h"

namespace mb::protocol {

namespace {

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// Index just past the first `words` words (and not the spaces after them).
std::size_t end_of_words(std::string_view line, std::size_t words) {
    std::size_t pos = 0;
    for (std::size_t w = 0; w < words; ++w) {
        while (pos < line.size() && line[pos] == ' ') ++pos;
        if (pos == line.size()) return pos;
        while (pos < line.size() && line[pos] != ' ') ++pos;
    }
    return pos;
}

}  // namespace

bool command_is(std::string_view line, std::string_view verb) {
    if (line.size() < verb.size()) return false;
    for (std::size_t i = 0; i < verb.size(); ++i)
        if (upper(line[i]) != verb[i]) return false;
    return line.size() == verb.size() || line[verb.size()] == ' ' || line[verb.size()] == '\r' ||
           line[verb.size()] == '\n';
}

std::size_t word_count(std::string_view line) {
    std::size_t count = 0;
    while (end_of_words(line, count) < line.size() &&
           line.find_first_not_of(' ', end_of_words(line, count)) != std::string_view::npos)
        ++count;
    return count;
}

std::string mask_after_words(std::string_view line, std::size_t words) {
    const std::size_t end = end_of_words(line, words);
    std::string out = printable_trace_line(line.substr(0, end));
    if (line.find_first_not_of(' ', end) != std::string_view::npos) out += " ***";
    return out;
}

}  // namespace mb::protocol
