// Tests for printable(): hostile client text cannot reach a log or terminal raw.
#include "protocol/printable_text.h"

#include <gtest/gtest.h>

#include "protocol/limits.h"

namespace mb::protocol {
namespace {

using namespace std::string_literals;

bool has_raw_control(const std::string& text) {
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

TEST(PrintableText, PlainTextAndUtf8AreKept) {
    EXPECT_EQ(printable("alice@example.com"), "alice@example.com");
    EXPECT_EQ(printable("Jürgen ✓ 😀"), "Jürgen ✓ 😀");
    EXPECT_EQ(printable(""), "");
    EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // U+00A0, just past C1
}

TEST(PrintableText, C0AndDelAreEscaped) {
    EXPECT_EQ(printable("a\x1b[31mred"), "a\\x1b[31mred");
    EXPECT_EQ(printable("x\n<3>forged"), "x\\n<3>forged");
    EXPECT_EQ(printable("a\r\nb\tc"), "a\\r\\nb\\tc");
    EXPECT_EQ(printable("\0\x7f"s), "\\x00\\x7f");
    EXPECT_EQ(printable("back\\slash"), "back\\\\slash");  // so "\x1b" typed as text is unambiguous
    EXPECT_EQ(printable("a\\x1b\x1b", Backslash::kept), "a\\x1b\\x1b");
}

TEST(PrintableText, C1CharactersAreEscaped) {
    EXPECT_EQ(printable("\xc2\x9b"
                        "31m"),
              "\\xc2\\x9b31m");  // U+009B CSI
    EXPECT_EQ(printable("\xc2\x80\xc2\x9f"), "\\xc2\\x80\\xc2\\x9f");
}

TEST(PrintableText, InvalidUtf8BytesAreEscaped) {
    EXPECT_EQ(printable("\x9b"), "\\x9b");  // a lone C1 byte (8-bit CSI)
    EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
    EXPECT_EQ(printable("\xc0\x80"), "\\xc0\\x80");           // overlong NUL
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
    EXPECT_EQ(printable("\xe2\x9c"), "\\xe2\\x9c");           // truncated at the end
    EXPECT_EQ(printable("\xe2\x9c"
                        "a"),
              "\\xe2\\x9ca");
    EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(PrintableText, EveryByteValueAloneAndInPairsLeavesNoRawControl) {
    for (int a = 0; a < 256; ++a) {
        EXPECT_FALSE(has_raw_control(printable(std::string(1, static_cast<char>(a))))) << a;
        for (int b = 0; b < 256; ++b) {
            std::string pair{static_cast<char>(a), static_cast<char>(b)};
            std::string out = printable(pair);
            ASSERT_FALSE(has_raw_control(out)) << a << " " << b;
            ASSERT_EQ(out.find("\xc2\x9b"), std::string::npos) << a << " " << b;
        }
    }
}

TEST(PrintableText, TraceLineDropsLineEndAndIsCut) {
    EXPECT_EQ(printable_trace_line("* OK hi\r\n"), "* OK hi");
    EXPECT_EQ(printable_trace_line("+OK\n"), "+OK");
    std::string long_line = std::string(5000, 'x') + "\r\n";
    std::string out = printable_trace_line(long_line);
    EXPECT_EQ(out, std::string(limits::kMaxTraceLineLength, 'x') + "... (5000 bytes in all)");
    std::string escaped = printable_trace_line(std::string(1000, '\x1b'));
    EXPECT_EQ(escaped.size(),
              limits::kMaxTraceLineLength + std::string("... (2000 more bytes)").size());
}

}  // namespace
}  // namespace mb::protocol
