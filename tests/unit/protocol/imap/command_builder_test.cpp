// Tests for the commands the bridge sends upstream.
#include "protocol/imap/command_builder.h"

#include <gtest/gtest.h>

namespace mb::protocol::imap {
namespace {

TEST(ImapCommandBuilder, PlainCommands) {
    EXPECT_EQ(capability_command("mb1"), "mb1 CAPABILITY\r\n");
    EXPECT_EQ(starttls_command("mb2"), "mb2 STARTTLS\r\n");
    EXPECT_EQ(logout_command("mb3"), "mb3 LOGOUT\r\n");
    EXPECT_EQ(authenticate_command("mb4", "XOAUTH2"), "mb4 AUTHENTICATE XOAUTH2\r\n");
}

TEST(ImapCommandBuilder, AuthenticateWithInitialResponse) {
    EXPECT_EQ(authenticate_command("mb5", "OAUTHBEARER", Secret("bixhPWE=")).reveal(),
              "mb5 AUTHENTICATE OAUTHBEARER bixhPWE=\r\n");
    EXPECT_EQ(authenticate_command("mb6", "PLAIN", Secret("")).reveal(),
              "mb6 AUTHENTICATE PLAIN =\r\n");
}

}  // namespace
}  // namespace mb::protocol::imap
