// Fuzz target for protocol/imap/lexer, the one scanner of IMAP atoms, quoted strings, literals and
// astrings: every scanner runs on the input at each of its first bytes, in both quoting modes.
// Aborts when a token's length leaves the input, a literal's body is not its announced size, a
// strictly read string is read differently leniently, a prefix of a token is taken for it, an
// end-of-line announcement disagrees with the header scanner, or a quoted string written by
// string_quoting does not read back as its value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/imap/lexer.h"
#include "protocol/imap/string_quoting.h"

using namespace mb::protocol::imap;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void check_quoted(std::string_view text) {
    std::string strict_value;
    const Token strict = scan_quoted(text, Quoting::Strict, &strict_value);
    std::string lenient_value;
    const Token lenient = scan_quoted(text, Quoting::Lenient, &lenient_value);
    if (lenient.ok()) {
        check(lenient.length >= 2 && lenient.length <= text.size());
        check(lenient.raw == text.substr(1, lenient.length - 2));
        check(lenient_value.size() <= lenient.raw.size());
        check(!scan_quoted(text.substr(0, lenient.length - 1), Quoting::Lenient).ok());
    }
    if (!strict.ok()) return;
    check(lenient.ok() && lenient.length == strict.length && lenient_value == strict_value);
    // What a strict reader took back is what the writer wrote.
    std::string again;
    check(scan_quoted(quoted_string(strict_value), Quoting::Strict, &again).ok());
    check(again == strict_value);
}

void check_literal(std::string_view text, std::uint64_t max_size) {
    const Token header = scan_literal_header(text);
    if (header.ok()) {
        check(header.length >= 3 && header.length <= text.size() && text[header.length - 1] == '}');
        check(!scan_literal_header(text.substr(0, header.length - 1)).ok());
    }
    const Token literal = scan_literal(text, max_size);
    if (!literal.ok()) return;
    check(header.ok() && *literal.literal == *header.literal);
    check(literal.literal->size <= max_size && literal.raw.size() == literal.literal->size);
    check(literal.length <= text.size() &&
          text.substr(literal.length - literal.raw.size(), literal.raw.size()) == literal.raw);
}

void check_announcement(std::string_view line, std::uint64_t max_literal) {
    const LiteralScan scan = scan_literal_announcement(line, max_literal);
    const std::size_t start = literal_announcement_start(line);
    if (start == std::string_view::npos) {
        check(!scan.header && scan.error.empty());
        return;
    }
    check(scan.header.has_value() != !scan.error.empty());
    const Token header = scan_literal_header(line.substr(start));
    if (scan.header) check(header.ok() && *header.literal == *scan.header);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::uint64_t max_literal = std::uint64_t{1} << (data[0] % 64);
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    check_announcement(input, max_literal);
    // Every position where a token may start, bounded so that the run stays linear-ish.
    for (std::size_t pos = 0; pos < input.size() && pos < 256; ++pos) {
        const std::string_view text = input.substr(pos);
        const char c = text.front();
        if (c == '"') check_quoted(text);
        if (c == '{' || c == '~') check_literal(text, max_literal);
        const Token atom = scan_atom(text);
        check(atom.ok() == (atom.length > 0) && atom.length <= text.size());
        for (Quoting quoting : {Quoting::Strict, Quoting::Lenient}) {
            std::string value;
            const Token astring = scan_astring(text, quoting, max_literal, &value);
            check(astring.ok() == (astring.length > 0) && astring.length <= text.size());
            if (astring.ok()) check(value.size() <= astring.length);
        }
        if (c == '\n') check_announcement(input.substr(0, pos + 1), max_literal);
    }
    return 0;
}
