// Tests for SMTP trace masking: AUTH responses never survive, other commands stay readable.
#include "protocol/smtp/trace_mask.h"

#include <gtest/gtest.h>

namespace mb::protocol::smtp {
namespace {

TEST(SmtpTraceMask, AuthResponsesAreMasked) {
    EXPECT_EQ(mask_trace_command("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", false), "AUTH PLAIN ***");
    EXPECT_EQ(mask_trace_command("auth login YWxpY2U=", false), "auth login ***");
    EXPECT_EQ(mask_trace_command("AUTH PLAIN\r\n", false), "AUTH PLAIN");
    EXPECT_EQ(mask_trace_command("AGFsaWNlAHNlY3JldA==\r\n", true), "***");
    EXPECT_EQ(mask_trace_command("*\r\n", true), "*");
}

TEST(SmtpTraceMask, OtherCommandsAreShownEscaped) {
    EXPECT_EQ(mask_trace_command("MAIL FROM:<a@example.com>\r\n", false),
              "MAIL FROM:<a@example.com>");
    EXPECT_EQ(mask_trace_command("EHLO evil\x1b]0;x\x07\r\n", false), "EHLO evil\\x1b]0;x\\x07");
    EXPECT_EQ(mask_trace_command("AUTHX y", false), "AUTHX y");
}

}  // namespace
}  // namespace mb::protocol::smtp
