// Case-insensitive ASCII helpers for the POP3 codecs (keywords, capability names). Pure.
#pragma once

#include <string>
#include <string_view>

namespace mb::protocol::pop3 {

constexpr char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
    return true;
}

inline std::string to_upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_upper(c);
    return out;
}

// The first space-separated word of a line (its keyword).
inline std::string_view first_word(std::string_view line) {
    return line.substr(0, line.find(' '));
}

// Text safe for one response line: CR, LF and NUL become spaces.
inline std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c == '\r' || c == '\n' || c == '\0') c = ' ';
    return out;
}

}  // namespace mb::protocol::pop3
