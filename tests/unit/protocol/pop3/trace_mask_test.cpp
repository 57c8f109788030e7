// Tests for POP3 trace masking: no credential survives, other commands stay readable.
#include "protocol/pop3/trace_mask.h"

#include <gtest/gtest.h>

namespace mb::protocol::pop3 {
namespace {

TEST(Pop3TraceMask, CredentialsAreMasked) {
    EXPECT_EQ(mask_trace_command("PASS secret\r\n", false), "PASS ***");
    EXPECT_EQ(mask_trace_command("pass  two words", false), "pass ***");
    EXPECT_EQ(mask_trace_command("APOP alice c4c9334bac560ecc979e58001b3e22fb", false),
              "APOP alice ***");
    EXPECT_EQ(mask_trace_command("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", false), "AUTH PLAIN ***");
    EXPECT_EQ(mask_trace_command("AUTH XOAUTH2 dXNlcj1h =", false), "AUTH XOAUTH2 ***");
}

TEST(Pop3TraceMask, CommandsWithoutCredentialsAreShown) {
    EXPECT_EQ(mask_trace_command("PASS\r\n", false), "PASS");
    EXPECT_EQ(mask_trace_command("AUTH\r\n", false), "AUTH");
    EXPECT_EQ(mask_trace_command("AUTH PLAIN\r\n", false), "AUTH PLAIN");
    EXPECT_EQ(mask_trace_command("RETR 1\r\n", false), "RETR 1");
    EXPECT_EQ(mask_trace_command("PASSWORD x", false), "PASSWORD x");  // not PASS
    EXPECT_EQ(mask_trace_command("USER a\x1b[31m", false), "USER a\\x1b[31m");
}

TEST(Pop3TraceMask, SaslExchangeLinesAreMasked) {
    EXPECT_EQ(mask_trace_command("AGFsaWNlAHNlY3JldA==\r\n", true), "***");
    EXPECT_EQ(mask_trace_command("*\r\n", true), "*");
    EXPECT_EQ(mask_trace_command("\r\n", true), "");
    EXPECT_TRUE(starts_sasl_exchange("AUTH PLAIN\r\n"));
    EXPECT_TRUE(starts_sasl_exchange("auth xoauth2"));
    EXPECT_FALSE(starts_sasl_exchange("AUTH\r\n"));
    EXPECT_FALSE(starts_sasl_exchange("AUTH PLAIN AGFs\r\n"));
    EXPECT_FALSE(starts_sasl_exchange("STAT\r\n"));
}

}  // namespace
}  // namespace mb::protocol::pop3
