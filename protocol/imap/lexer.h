// IMAP lexer: the one scanner of the token grammar that commands and responses share — atoms,
// quoted strings, literal headers ({n}, {n+}, ~{n}, ~{n+}: RFC 3501, RFC 7888, RFC 3516),
// literals with their bodies, astrings, and the literal announced at the end of a line. Pure and
// bounded: each function looks at the start (or end) of a byte range and says how many bytes the
// token took or why it is not one; literal sizes are checked for their digit count and for 64-bit
// overflow before any caller's limit. Used by StreamFramer, the command parser, the response
// readers and the trace mask.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mb::protocol::imap {

struct LiteralHeader {
    std::uint64_t size = 0;
    bool non_sync = false;  // {n+}: the sender does not wait for a continuation
    bool binary = false;    // ~{n}: RFC 3516 literal8
    bool operator==(const LiteralHeader&) const = default;
};

// Why the bytes are not the token that was asked for.
enum class LexError {
    None,
    Empty,             // nothing of the token: the text is empty or starts with another byte
    Unclosed,          // a quoted string ends before its closing '"'
    BadEscape,         // strict quoting: '\' not followed by '\' or '"'
    ForbiddenByte,     // strict quoting: CR, LF or NUL inside a quoted string
    MalformedLiteral,  // not "{digits}" or "{digits+}" (after an optional '~')
    TooManyDigits,     // the size has more than limits::kMaxLiteralSizeDigits digits
    SizeOverflow,      // the size does not fit in 64 bits
    TooLarge,          // the size exceeds the caller's limit
    NoLineEnd,         // a literal header not followed by CRLF (or a bare LF)
    ShortBody,         // the text ends before the announced literal body does
};

// A token found at the start of a text.
struct Token {
    LexError error = LexError::None;
    std::size_t length = 0;                // bytes the token takes (0 on error)
    std::optional<LiteralHeader> literal;  // a literal (or literal header): what it announced
    // Atom: its bytes. Literal: its body. Quoted: the bytes between the quotes, escapes kept.
    std::string_view raw;
    bool ok() const { return error == LexError::None; }
};

// How a quoted string is read.
enum class Quoting {
    Strict,   // what a client must send: only \\ and \" escapes; no CR, LF or NUL
    Lenient,  // reading a server or a trace: '\' escapes any byte, every other byte is content
};

// Bytes at the start of `text` that `accept` takes (is_atom_char, is_astring_char, is_tag_char…).
std::size_t scan_while(std::string_view text, bool (*accept)(unsigned char));

// 1*ATOM-CHAR.
Token scan_atom(std::string_view text);

// "{digits}", "{digits+}" with an optional leading '~', through the '}' (nothing after it is
// looked at). The size is checked for digit count and overflow, not against a limit.
Token scan_literal_header(std::string_view text);

// A quoted string starting with '"'. `value` (when given) is set to the content, unescaped; on
// an error it holds what was read so far.
Token scan_quoted(std::string_view text, Quoting quoting, std::string* value = nullptr);

// A literal with its body: header, CRLF (or LF), then `size` bytes. Sizes over `max_size` fail
// before the line end is looked at. `raw` is the body.
Token scan_literal(std::string_view text, std::uint64_t max_size);

// astring = 1*ASTRING-CHAR / string (a quoted string, or a literal with its body; not literal8).
// `value` (when given) is set to the string.
Token scan_astring(std::string_view text, Quoting quoting, std::uint64_t max_literal,
                   std::string* value = nullptr);

// Where the literal announcement at the end of `line` (its CRLF or LF removed) starts: the '{',
// or the '~' before it; npos when the line does not end in "{…}" made of digits and '+'.
std::size_t literal_announcement_start(std::string_view line);

// The literal announced at the end of a line segment (CRLF or LF included or not).
// No header when the segment announces none; an error text when the announcement is malformed or
// exceeds max_literal.
struct LiteralScan {
    std::optional<LiteralHeader> header;
    std::string error;      // non-empty when the segment ends in a malformed or oversized literal
    bool non_sync = false;  // the announcement ended in "+}" (also when it is malformed)
};
LiteralScan scan_literal_announcement(std::string_view segment, std::uint64_t max_literal);

}  // namespace mb::protocol::imap
