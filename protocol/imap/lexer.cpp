// IMAP lexer implementation: every function reads forward from the first byte of its token and
// stops at the first byte that cannot belong to it; nothing is copied but an unescaped value the
// caller asked for.
#include "protocol/imap/lexer.h"

#include "protocol/imap/syntax.h"
#include "protocol/limits.h"
#include "protocol/printable_text.h"

namespace mb::protocol::imap {

namespace {

constexpr bool is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

Token failed(LexError error) {
    Token token;
    token.error = error;
    return token;
}

}  // namespace

std::size_t scan_while(std::string_view text, bool (*accept)(unsigned char)) {
    std::size_t end = 0;
    while (end < text.size() && accept(static_cast<unsigned char>(text[end]))) ++end;
    return end;
}

Token scan_atom(std::string_view text) {
    const std::size_t length = scan_while(text, is_atom_char);
    if (length == 0) return failed(LexError::Empty);
    Token token;
    token.length = length;
    token.raw = text.substr(0, length);
    return token;
}

Token scan_literal_header(std::string_view text) {
    LiteralHeader header;
    std::size_t pos = 0;
    if (pos < text.size() && text[pos] == '~') {
        header.binary = true;
        ++pos;
    }
    if (pos == text.size() || text[pos] != '{') return failed(LexError::Empty);
    ++pos;
    const std::size_t digits_start = pos;
    pos += scan_while(text.substr(pos), is_digit);
    const std::string_view digits = text.substr(digits_start, pos - digits_start);
    if (pos < text.size() && text[pos] == '+') {
        header.non_sync = true;
        ++pos;
    }
    // The shape first, then the size: "{12a}" is malformed whatever its digits say.
    if (digits.empty() || pos == text.size() || text[pos] != '}')
        return failed(LexError::MalformedLiteral);
    ++pos;
    if (digits.size() > limits::kMaxLiteralSizeDigits) return failed(LexError::TooManyDigits);
    for (char c : digits) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (header.size > (UINT64_MAX - digit) / 10) return failed(LexError::SizeOverflow);
        header.size = header.size * 10 + digit;
    }
    Token token;
    token.length = pos;
    token.literal = header;
    return token;
}

Token scan_quoted(std::string_view text, Quoting quoting, std::string* value) {
    if (text.empty() || text.front() != '"') return failed(LexError::Empty);
    const bool strict = quoting == Quoting::Strict;
    if (value) value->clear();
    for (std::size_t pos = 1; pos < text.size(); ++pos) {
        char c = text[pos];
        if (c == '"') {
            Token token;
            token.length = pos + 1;
            token.raw = text.substr(1, pos - 1);
            return token;
        }
        if (c == '\\') {
            if (pos + 1 == text.size())
                return failed(strict ? LexError::BadEscape : LexError::Unclosed);
            c = text[++pos];
            if (strict && c != '"' && c != '\\') return failed(LexError::BadEscape);
        } else if (strict && !is_quotable(static_cast<unsigned char>(c))) {
            return failed(LexError::ForbiddenByte);
        }
        if (value) value->push_back(c);
    }
    return failed(LexError::Unclosed);
}

Token scan_literal(std::string_view text, std::uint64_t max_size) {
    Token token = scan_literal_header(text);
    if (!token.ok()) return token;
    if (token.literal->size > max_size) return failed(LexError::TooLarge);
    std::size_t pos = token.length;
    if (text.substr(pos, 2) == "\r\n")
        pos += 2;
    else if (text.substr(pos, 1) == "\n")
        pos += 1;
    else
        return failed(LexError::NoLineEnd);
    if (text.size() - pos < token.literal->size) return failed(LexError::ShortBody);
    const auto size = static_cast<std::size_t>(token.literal->size);
    token.raw = text.substr(pos, size);
    token.length = pos + size;
    return token;
}

Token scan_astring(std::string_view text, Quoting quoting, std::uint64_t max_literal,
                   std::string* value) {
    if (!text.empty() && text.front() == '"') return scan_quoted(text, quoting, value);
    Token token;
    if (!text.empty() && text.front() == '{') {
        token = scan_literal(text, max_literal);
    } else {
        const std::size_t length = scan_while(text, is_astring_char);
        if (length == 0) return failed(LexError::Empty);
        token.length = length;
        token.raw = text.substr(0, length);
    }
    if (token.ok() && value) value->assign(token.raw);
    return token;
}

std::size_t literal_announcement_start(std::string_view line) {
    line = without_line_end(line);
    if (line.empty() || line.back() != '}') return std::string_view::npos;
    std::size_t open = line.size() - 1;
    while (open > 0 &&
           (is_digit(static_cast<unsigned char>(line[open - 1])) || line[open - 1] == '+'))
        --open;
    if (open == 0 || line[open - 1] != '{') return std::string_view::npos;
    --open;
    if (open > 0 && line[open - 1] == '~') --open;
    return open;
}

LiteralScan scan_literal_announcement(std::string_view segment, std::uint64_t max_literal) {
    const std::string_view line = without_line_end(segment);
    const std::size_t start = literal_announcement_start(segment);
    if (start == std::string_view::npos) return {};
    LiteralScan scan;
    scan.non_sync = line[line.size() - 2] == '+';
    const Token token = scan_literal_header(line.substr(start));
    switch (token.error) {
        case LexError::None:
            break;
        case LexError::TooManyDigits:
            scan.error = "literal size has too many digits; send a smaller literal";
            return scan;
        case LexError::SizeOverflow:
            scan.error = "literal size does not fit in 64 bits; send a smaller literal";
            return scan;
        default: {
            const std::size_t open = line.find('{', start);
            scan.error = "malformed literal size {" +
                         std::string(line.substr(open + 1, line.size() - open - 2)) +
                         "}: expected {digits} or {digits+}";
            return scan;
        }
    }
    if (token.literal->size > max_literal) {
        scan.error = "literal of " + std::to_string(token.literal->size) +
                     " bytes exceeds the limit of " + std::to_string(max_literal) + " bytes";
        return scan;
    }
    scan.header = token.literal;
    return scan;
}

}  // namespace mb::protocol::imap
