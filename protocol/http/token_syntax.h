// HTTP token grammar (RFC 9110 §5.6) shared by the proxy response and challenge parsers: character
// classes, case-insensitive comparison, whitespace trimming and comma-list splitting. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mb::protocol::http {

inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
inline bool is_hex_digit(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool is_control(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}
// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
// / DIGIT / ALPHA
bool is_token_char(char c);
// token68 body characters (without the trailing "=" padding).
bool is_token68_char(char c);

bool equals_ignoring_case(std::string_view a, std::string_view b);
std::string to_lower(std::string_view text);
// Strips spaces and horizontal tabs at both ends.
std::string_view trim_whitespace(std::string_view text);
// The non-empty, trimmed items of a comma-separated list (RFC 9110 §5.6.1).
std::vector<std::string_view> split_list(std::string_view value);

}  // namespace mb::protocol::http
