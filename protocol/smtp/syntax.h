// SMTP character classes and case-insensitive ASCII helpers (RFC 5321 §4.1.2, RFC 3461 xtext,
// RFC 1869 esmtp-keyword). Shared by the SMTP parsers and builders; pure constexpr functions.
#pragma once

#include <string>
#include <string_view>

namespace mb::protocol::smtp {

constexpr char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
constexpr bool is_keyword_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '-';
}

// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 octets as RFC 6531 §3.3 allows.
constexpr bool is_param_value_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 33 && u <= 126 && u != '=') || u >= 0x80;
}

// Bytes allowed in a path or domain argument: anything but controls and space (8-bit for
// SMTPUTF8 addresses).
constexpr bool is_path_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 32 && u != 127;
}

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
    return true;
}

inline bool istarts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

inline std::string to_upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_upper(c);
    return out;
}

// Text safe for one reply or response line: CR, LF and NUL become spaces.
inline std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c == '\r' || c == '\n' || c == '\0') c = ' ';
    return out;
}

}  // namespace mb::protocol::smtp
