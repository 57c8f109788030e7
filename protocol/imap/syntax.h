// IMAP character classes (RFC 3501 §9 / RFC 9051 §9): which bytes may appear in atoms, tags and
// quoted strings. Shared by the IMAP parsers and builders; pure constexpr functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mb::protocol::imap {

// CTL = %x00-1F / %x7F
constexpr bool is_ctl(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

// ATOM-CHAR: any 7-bit CHAR except atom-specials ( ) { SP CTL % * " \ ]
constexpr bool is_atom_char(unsigned char c) {
    if (c == 0 || c >= 0x80 || is_ctl(c)) return false;
    switch (c) {
        case '(':
        case ')':
        case '{':
        case ' ':
        case '%':
        case '*':
        case '"':
        case '\\':
        case ']':
            return false;
        default:
            return true;
    }
}

// ASTRING-CHAR = ATOM-CHAR / resp-specials
constexpr bool is_astring_char(unsigned char c) {
    return is_atom_char(c) || c == ']';
}

// tag = 1*<any ASTRING-CHAR except "+">
constexpr bool is_tag_char(unsigned char c) {
    return is_astring_char(c) && c != '+';
}

// Bytes a quoted string may carry: TEXT-CHAR (no CR, LF, NUL), 8-bit allowed as in RFC 9051's
// UTF-8 quoted strings. '"' and '\' must be escaped.
constexpr bool is_quotable(unsigned char c) {
    return c != 0 && c != '\r' && c != '\n';
}

constexpr char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
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

}  // namespace mb::protocol::imap
