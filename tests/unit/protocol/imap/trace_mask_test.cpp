// Tests for protocol trace masking: no credential survives, everything else stays readable.
#include "protocol/imap/trace_mask.h"

#include <gtest/gtest.h>

#include "protocol/limits.h"

namespace mb::protocol::imap {
namespace {

std::string command(std::string_view line, bool sasl = false) {
    return mask_trace_line(line, TraceDirection::Command, sasl);
}

TEST(ImapTraceMask, LoginPasswordIsMasked) {
    EXPECT_EQ(command("a1 LOGIN user \"pass\"\r\n"), "a1 LOGIN user ***");
    EXPECT_EQ(command("a1 login \"us er\" secret"), "a1 login \"us er\" ***");
    EXPECT_EQ(command("a1 LOGIN \"u\\\"s\" secret"), "a1 LOGIN \"u\\\\\"s\" ***");
    EXPECT_EQ(command("a1 LOGIN {4}\r\nuser {6}\r\nsecret\r\n"), "a1 LOGIN {4}\\r\\nuser ***");
    EXPECT_EQ(command("a1 LOGIN {4}\r\n"), "a1 LOGIN ***");
    EXPECT_EQ(command("a1  LOGIN   user  secret"), "a1  LOGIN   user ***");
    EXPECT_EQ(command("a1 LOGIN \"unterminated secret"), "a1 LOGIN ***");
    EXPECT_EQ(command("a1 LOGIN user"), "a1 LOGIN user ***");
    EXPECT_EQ(command("a1 LOGIN"), "a1 LOGIN");
}

TEST(ImapTraceMask, AuthenticateInitialResponseIsMasked) {
    EXPECT_EQ(command("a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
              "a1 AUTHENTICATE PLAIN ***");
    EXPECT_EQ(command("mb1 authenticate XOAUTH2 dXNlcj1h"), "mb1 authenticate XOAUTH2 ***");
    EXPECT_EQ(command("a1 AUTHENTICATE PLAIN\r\n"), "a1 AUTHENTICATE PLAIN");
    EXPECT_EQ(command("a1 AUTHENTICATE PLAIN \r\n"), "a1 AUTHENTICATE PLAIN ");
}

TEST(ImapTraceMask, SaslExchangeLinesAreMasked) {
    EXPECT_EQ(command("AGFsaWNlAHNlY3JldA==\r\n", true), "***");
    EXPECT_EQ(command("*\r\n", true), "*");
    EXPECT_EQ(command("\r\n", true), "");
    EXPECT_EQ(command("a1 LOGOUT\r\n", true), "***");
}

TEST(ImapTraceMask, OtherLinesAreShownEscaped) {
    EXPECT_EQ(command("a1 SELECT INBOX\r\n"), "a1 SELECT INBOX");
    EXPECT_EQ(mask_trace_line("+ VXNlcm5hbWU6\r\n", TraceDirection::Response, true),
              "+ VXNlcm5hbWU6");
    EXPECT_EQ(
        mask_trace_line(std::string("* OK a\0b\x1b[31m\\", 14), TraceDirection::Response, false),
        "* OK a\\x00b\\x1b[31m\\\\");
    EXPECT_EQ(mask_trace_line("a1 LOGIN x y", TraceDirection::Response, false), "a1 LOGIN x y");
}

TEST(ImapTraceMask, LongLinesAreCut) {
    std::string out = command("a1 APPEND INBOX " + std::string(5000, 'x'));
    EXPECT_EQ(out.size(),
              limits::kMaxTraceLineLength + std::string("... (2968 more bytes)").size());
    EXPECT_EQ(out.substr(out.size() - 21), "... (2968 more bytes)");
    std::string login = command("a1 LOGIN " + std::string(5000, 'u') + " secret");
    EXPECT_EQ(login.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace mb::protocol::imap
