// Tests for the upstream SMTP command builders: the AUTH initial response goes inline only when
// the line fits 512 octets, otherwise after the 334; fixed commands.
#include "protocol/smtp/command_builder.h"

#include <gtest/gtest.h>

namespace mb::protocol::smtp {
namespace {

TEST(SmtpCommandBuilder, FixedCommands) {
    EXPECT_EQ(ehlo_command("bridge.local"), "EHLO bridge.local\r\n");
    EXPECT_EQ(ehlo_command("a\r\nRSET"), "EHLO a  RSET\r\n");
    EXPECT_EQ(starttls_command(), "STARTTLS\r\n");
    EXPECT_EQ(quit_command(), "QUIT\r\n");
}

TEST(SmtpCommandBuilder, ShortInitialResponseGoesInline) {
    AuthCommand command = auth_command("XOAUTH2", Secret("dXNlcj1h"));
    EXPECT_EQ(command.first_line.reveal(), "AUTH XOAUTH2 dXNlcj1h\r\n");
    EXPECT_FALSE(command.deferred_response);
    EXPECT_EQ(auth_command("PLAIN", Secret("")).first_line.reveal(), "AUTH PLAIN =\r\n");
}

TEST(SmtpCommandBuilder, LongInitialResponseWaitsForTheChallenge) {
    // "AUTH XOAUTH2 " is 13 octets, CRLF 2: a 497-octet response makes a 512-octet line.
    const std::string fits(497, 'A');
    EXPECT_FALSE(auth_command("XOAUTH2", Secret(fits)).deferred_response);
    const std::string token(498, 'A');
    AuthCommand command = auth_command("XOAUTH2", Secret(token));
    EXPECT_EQ(command.first_line.reveal(), "AUTH XOAUTH2\r\n");
    ASSERT_TRUE(command.deferred_response);
    EXPECT_EQ(command.deferred_response->reveal(), token);
    EXPECT_TRUE(auth_command("OAUTHBEARER", Secret("x"), 10).deferred_response);
}

}  // namespace
}  // namespace mb::protocol::smtp
