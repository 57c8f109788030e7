// Tests for the IMAP lexer: atoms, quoted strings (strict and lenient), literal headers in every
// form, literals with bodies, astrings and end-of-line announcements, with hostile input (huge and
// overflowing sizes, '{' at the line end, non-digits, '~{', nested quotes and backslashes), and
// every prefix of a valid token, as a reader cut mid-token would see it.
#include "protocol/imap/lexer.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/imap/syntax.h"
#include "protocol/limits.h"

namespace mb::protocol::imap {
namespace {

using namespace std::string_literals;

constexpr std::uint64_t kNoLimit = UINT64_MAX;

TEST(ImapLexer, AtomsStopAtAtomSpecials) {
    EXPECT_EQ(scan_atom("INBOX rest").raw, "INBOX");
    EXPECT_EQ(scan_atom("BODY[TEXT]").raw, "BODY[TEXT");
    EXPECT_EQ(scan_atom("a{1}").length, 1u);
    for (std::string_view text : {"", " x", "(x", "\"x", "{1}", "%", "*", "\x7f", "\x80"})
        EXPECT_EQ(scan_atom(text).error, LexError::Empty) << text;
    EXPECT_EQ(scan_while("a1 NOOP", is_tag_char), 2u);
    EXPECT_EQ(scan_while("a+b", is_tag_char), 1u);
}

TEST(ImapLexer, LiteralHeadersInEveryForm) {
    Token token = scan_literal_header("{12}\r\n");
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(token.length, 4u);
    EXPECT_EQ(*token.literal, (LiteralHeader{12, false, false}));
    EXPECT_EQ(*scan_literal_header("{12+}").literal, (LiteralHeader{12, true, false}));
    EXPECT_EQ(*scan_literal_header("~{0}").literal, (LiteralHeader{0, false, true}));
    EXPECT_EQ(*scan_literal_header("~{7+}x").literal, (LiteralHeader{7, true, true}));
    EXPECT_EQ(scan_literal_header("~{7+}x").length, 5u);
    EXPECT_EQ(*scan_literal_header("{00000000000000000009}").literal,
              (LiteralHeader{9, false, false}));  // 20 digits are allowed
}

TEST(ImapLexer, MalformedLiteralHeaders) {
    for (std::string_view text : {"{", "{}", "{+}", "{12", "{12+", "{1a}", "{a1}", "{ 1}", "{1 }",
                                  "{1++}", "{+1}", "{-1}", "~{", "~{}", "~~{1}"}) {
        const Token token = scan_literal_header(text);
        EXPECT_FALSE(token.ok()) << text;
        EXPECT_EQ(token.length, 0u) << text;
    }
    EXPECT_EQ(scan_literal_header("").error, LexError::Empty);
    EXPECT_EQ(scan_literal_header("x{1}").error, LexError::Empty);
    EXPECT_EQ(scan_literal_header("~x").error, LexError::Empty);
    EXPECT_EQ(scan_literal_header("{12").error, LexError::MalformedLiteral);
    EXPECT_EQ(scan_literal_header("~{1a}").error, LexError::MalformedLiteral);
}

TEST(ImapLexer, HugeAndOverflowingLiteralSizes) {
    EXPECT_EQ(scan_literal_header("{18446744073709551615}").literal->size, UINT64_MAX);
    EXPECT_EQ(scan_literal_header("{18446744073709551616}").error, LexError::SizeOverflow);
    EXPECT_EQ(scan_literal_header("{99999999999999999999}").error, LexError::SizeOverflow);
    EXPECT_EQ(scan_literal_header("{" + std::string(21, '1') + "}").error, LexError::TooManyDigits);
    EXPECT_EQ(scan_literal_header("{" + std::string(100000, '9') + "+}").error,
              LexError::TooManyDigits);
    // A malformed shape wins over the digit count: the bytes are not a literal at all.
    EXPECT_EQ(scan_literal_header("{" + std::string(30, '9') + "x}").error,
              LexError::MalformedLiteral);
    EXPECT_EQ(scan_literal("{11}\r\n0123456789a", 10).error, LexError::TooLarge);
    EXPECT_EQ(scan_literal("{18446744073709551615}\r\n", kNoLimit).error, LexError::ShortBody);
}

TEST(ImapLexer, LiteralsWithBodies) {
    Token token = scan_literal("{5}\r\nab\r\ncd", kNoLimit);
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(token.raw, "ab\r\nc");
    EXPECT_EQ(token.length, 10u);
    const std::string non_sync = "{3+}\nx\0y rest"s;  // the token's views point into it
    token = scan_literal(non_sync, kNoLimit);
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(token.raw, "x\0y"s);
    EXPECT_TRUE(token.literal->non_sync);
    token = scan_literal("{0}\r\n", kNoLimit);
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(token.raw, "");
    EXPECT_EQ(token.length, 5u);
    EXPECT_EQ(scan_literal("~{2}\r\n\0\0"s, kNoLimit).literal->binary, true);
    EXPECT_EQ(scan_literal("{5}", kNoLimit).error, LexError::NoLineEnd);
    EXPECT_EQ(scan_literal("{5}\r", kNoLimit).error, LexError::NoLineEnd);
    EXPECT_EQ(scan_literal("{5} \r\nabcde", kNoLimit).error, LexError::NoLineEnd);
    EXPECT_EQ(scan_literal("{5}\r\nabcd", kNoLimit).error, LexError::ShortBody);
}

TEST(ImapLexer, StrictQuotedStrings) {
    std::string value;
    Token token = scan_quoted(R"("a \"b\" \\c" rest)", Quoting::Strict, &value);
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(value, R"(a "b" \c)");
    EXPECT_EQ(token.raw, R"(a \"b\" \\c)");
    EXPECT_EQ(token.length, 13u);
    EXPECT_EQ(scan_quoted(R"("")", Quoting::Strict).length, 2u);
    EXPECT_EQ(scan_quoted("\"8-bit \xc3\xa9\"", Quoting::Strict).length, 10u);
    EXPECT_EQ(scan_quoted(R"("\n")", Quoting::Strict).error, LexError::BadEscape);
    EXPECT_EQ(scan_quoted("\"a\\", Quoting::Strict).error, LexError::BadEscape);
    EXPECT_EQ(scan_quoted("\"a\\\r\n\"", Quoting::Strict).error, LexError::BadEscape);
    EXPECT_EQ(scan_quoted("\"a\r\n\"", Quoting::Strict).error, LexError::ForbiddenByte);
    EXPECT_EQ(scan_quoted("\"a\0\""s, Quoting::Strict).error, LexError::ForbiddenByte);
    EXPECT_EQ(scan_quoted("\"abc", Quoting::Strict).error, LexError::Unclosed);
    EXPECT_EQ(scan_quoted("abc\"", Quoting::Strict).error, LexError::Empty);
}

TEST(ImapLexer, NestedQuotesAndBackslashRuns) {
    // An even run of backslashes escapes itself: the quote after it closes the string.
    EXPECT_EQ(scan_quoted(R"("a\\\\" b")", Quoting::Strict).length, 7u);
    // An odd run escapes the quote: the string goes on to the next one.
    EXPECT_EQ(scan_quoted(R"("a\\\" b")", Quoting::Strict).length, 9u);
    EXPECT_EQ(scan_quoted(R"("a\\\")", Quoting::Strict).error, LexError::Unclosed);
    std::string value;
    EXPECT_TRUE(scan_quoted(R"("\"\"\"")", Quoting::Strict, &value).ok());
    EXPECT_EQ(value, "\"\"\"");
    const std::string deep = "\"" + std::string(100000, '\\') + "\"";  // 50000 escaped '\'
    value.clear();
    EXPECT_TRUE(scan_quoted(deep, Quoting::Strict, &value).ok());
    EXPECT_EQ(value.size(), 50000u);
}

TEST(ImapLexer, LenientQuotedStringsReadWhatServersSend) {
    std::string value;
    Token token = scan_quoted("\"a\\nb\0\" x"s, Quoting::Lenient, &value);
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(value, "anb\0"s);
    EXPECT_EQ(token.length, 7u);
    EXPECT_EQ(scan_quoted("\"a\\", Quoting::Lenient).error, LexError::Unclosed);
    EXPECT_EQ(scan_quoted("\"abc\r\n", Quoting::Lenient).error, LexError::Unclosed);
}

TEST(ImapLexer, AstringsInEveryForm) {
    std::string value;
    EXPECT_EQ(scan_astring("INBOX] x", Quoting::Strict, kNoLimit, &value).length, 6u);
    EXPECT_EQ(value, "INBOX]");
    EXPECT_EQ(scan_astring("\"Sent Items\" x", Quoting::Strict, kNoLimit, &value).length, 12u);
    EXPECT_EQ(value, "Sent Items");
    EXPECT_EQ(scan_astring("{4}\r\nab c x", Quoting::Strict, kNoLimit, &value).length, 9u);
    EXPECT_EQ(value, "ab c");
    EXPECT_EQ(scan_astring("{4}\r\nab c x", Quoting::Strict, 3, &value).error, LexError::TooLarge);
    // literal8 is not an astring: "~" is an atom and the '{' ends it.
    EXPECT_EQ(scan_astring("~{1}\r\nx", Quoting::Strict, kNoLimit).length, 1u);
    for (std::string_view text : {"", " x", "(x", ")", "%"})
        EXPECT_EQ(scan_astring(text, Quoting::Strict, kNoLimit).error, LexError::Empty) << text;
}

TEST(ImapLexer, AnnouncementsAtTheLineEnd) {
    EXPECT_EQ(*scan_literal_announcement("a APPEND x {12}\r\n", 100).header,
              (LiteralHeader{12, false, false}));
    EXPECT_EQ(*scan_literal_announcement("a APPEND x ~{12+}\n", 100).header,
              (LiteralHeader{12, true, true}));
    EXPECT_EQ(literal_announcement_start("a ~{12+}\r\n"), 2u);
    EXPECT_EQ(literal_announcement_start("a {12}"), 2u);
    // '{' at the line end, braces that are not an announcement, text after the '}'.
    for (std::string_view line : {"a {\r\n", "a {1\r\n", "a }\r\n", "a {x}\r\n", "a {1} \r\n",
                                  "a {1}x\r\n", "{1}\r\n\r\n", "", "}", "\r\n"}) {
        EXPECT_EQ(literal_announcement_start(line), std::string_view::npos) << line;
        const LiteralScan scan = scan_literal_announcement(line, 100);
        EXPECT_FALSE(scan.header) << line;
        EXPECT_TRUE(scan.error.empty()) << line;
    }
    EXPECT_EQ(scan_literal_announcement("a {}\r\n", 100).error,
              "malformed literal size {}: expected {digits} or {digits+}");
    const LiteralScan plus = scan_literal_announcement("a {1+2+}\r\n", 100);
    EXPECT_EQ(plus.error, "malformed literal size {1+2+}: expected {digits} or {digits+}");
    EXPECT_TRUE(plus.non_sync);
    EXPECT_EQ(scan_literal_announcement("a {101}\r\n", 100).error,
              "literal of 101 bytes exceeds the limit of 100 bytes");
    EXPECT_EQ(scan_literal_announcement("a {" + std::string(21, '1') + "}", kNoLimit).error,
              "literal size has too many digits; send a smaller literal");
    EXPECT_EQ(scan_literal_announcement("a {99999999999999999999}", kNoLimit).error,
              "literal size does not fit in 64 bits; send a smaller literal");
    // A huge run of digits is looked at once, and reported as too many digits.
    EXPECT_FALSE(scan_literal_announcement("a {" + std::string(1 << 20, '7') + "}\r\n", kNoLimit)
                     .error.empty());
}

// A reader whose input ends mid-token must never take the prefix for the whole token.
TEST(ImapLexer, NoPrefixOfATokenIsTakenForIt) {
    const std::string quoted = R"("a \"b\" \\c")";
    for (std::size_t cut = 0; cut < quoted.size(); ++cut)
        EXPECT_FALSE(scan_quoted(quoted.substr(0, cut), Quoting::Strict).ok()) << cut;
    const std::string literal = "~{5+}\r\nab\r\nc";
    for (std::size_t cut = 0; cut < literal.size(); ++cut)
        EXPECT_FALSE(scan_literal(literal.substr(0, cut), kNoLimit).ok()) << cut;
    const std::string header = "{123+}";
    for (std::size_t cut = 0; cut < header.size(); ++cut)
        EXPECT_FALSE(scan_literal_header(header.substr(0, cut)).ok()) << cut;
}

}  // namespace
}  // namespace mb::protocol::imap
