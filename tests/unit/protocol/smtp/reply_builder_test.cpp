// Tests for the SMTP reply builders: codes, enhanced codes, multi-line form, line safety.
#include "protocol/smtp/reply_builder.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mb::protocol::smtp {
namespace {

TEST(SmtpReplyBuilder, SingleLine) {
    EXPECT_EQ(reply(250, "2.0.0", "Ok"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(reply(354, "", "End data with <CR><LF>.<CR><LF>"),
              "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(reply(535, "5.7.8", "bad\r\n250 injected"), "535 5.7.8 bad  250 injected\r\n");
    EXPECT_THROW((void)reply(199, "", "x"), std::invalid_argument);
    EXPECT_THROW((void)reply(600, "", "x"), std::invalid_argument);
}

TEST(SmtpReplyBuilder, MultiLine) {
    EXPECT_EQ(multiline_reply(214, {"a", "b", "c"}), "214-a\r\n214-b\r\n214 c\r\n");
    EXPECT_EQ(multiline_reply(250, {"only"}), "250 only\r\n");
    EXPECT_THROW((void)multiline_reply(250, {}), std::invalid_argument);
}

TEST(SmtpReplyBuilder, GreetingAndChallenge) {
    EXPECT_EQ(greeting_reply("bridge.local", "ESMTP mailbridge"),
              "220 bridge.local ESMTP mailbridge\r\n");
    EXPECT_EQ(auth_challenge_reply("VXNlcm5hbWU6"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(auth_challenge_reply(""), "334 \r\n");
}

}  // namespace
}  // namespace mb::protocol::smtp
