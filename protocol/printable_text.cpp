// Escaping of control characters and invalid UTF-8 for logs and terminals.
#include "protocol/printable_text.h"

#include "protocol/limits.h"

namespace mb::protocol {

namespace {

void append_hex(std::string& out, unsigned char c) {
    constexpr char kDigits[] = "0123456789abcdef";
    out += "\\x";
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
}

bool is_continuation(unsigned char c) {
    return (c & 0xc0) == 0x80;
}

// Length of the valid UTF-8 sequence starting at `i` (2..4), or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF are not valid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;  // allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) low = 0xa0;
        if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) low = 0x90;
        if (lead == 0xf4) high = 0x8f;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < low || second > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (!is_continuation(static_cast<unsigned char>(text[i + k]))) return 0;
    return length;
}

}  // namespace

std::string printable(std::string_view text, Backslash backslash) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (c == '\\' && backslash == Backslash::escaped) {
                out += "\\\\";
            } else if (c == '\r') {
                out += "\\r";
            } else if (c == '\n') {
                out += "\\n";
            } else if (c == '\t') {
                out += "\\t";
            } else if (c < 0x20 || c == 0x7f) {
                append_hex(out, c);
            } else {
                out.push_back(static_cast<char>(c));
            }
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            append_hex(out, c);
            ++i;
        } else if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            append_hex(out, c);  // a C1 control character: CSI (U+009B) and friends
            append_hex(out, static_cast<unsigned char>(text[i + 1]));
            i += 2;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

std::string_view without_line_end(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

namespace {

// Cuts printable text at most `length` bytes long, never inside a UTF-8 character.
void cut_at_character(std::string& text, std::size_t length) {
    if (text.size() <= length) return;
    while (length > 0 && (static_cast<unsigned char>(text[length]) & 0xc0) == 0x80) --length;
    text.resize(length);
}

}  // namespace

std::string cut_trace_text(std::string text) {
    if (text.size() > limits::kMaxTraceLineLength) {
        const std::size_t more = text.size() - limits::kMaxTraceLineLength;
        cut_at_character(text, limits::kMaxTraceLineLength);
        text += "... (" + std::to_string(more) + " more bytes)";
    }
    return text;
}

std::string printable_trace_line(std::string_view line) {
    line = without_line_end(line);
    // Escaping at most quadruples a byte: what lies beyond that is cut anyway, and not copied.
    const std::size_t keep = limits::kMaxTraceLineLength + 1;
    std::string text = printable(line.substr(0, keep));
    if (line.size() <= keep) return cut_trace_text(std::move(text));
    cut_at_character(text, limits::kMaxTraceLineLength);
    return text + "... (" + std::to_string(line.size()) + " bytes in all)";
}

}  // namespace mb::protocol
