// Tests for the upstream POP3 command builders: the RFC 5034 255-octet decision for AUTH initial
// responses, USER/PASS and fixed commands.
#include "protocol/pop3/command_builder.h"

#include <gtest/gtest.h>

namespace mb::protocol::pop3 {
namespace {

TEST(Pop3CommandBuilder, FixedCommands) {
    EXPECT_EQ(capa_command(), "CAPA\r\n");
    EXPECT_EQ(stls_command(), "STLS\r\n");
    EXPECT_EQ(quit_command(), "QUIT\r\n");
    EXPECT_EQ(user_command("alice"), "USER alice\r\n");
    EXPECT_EQ(pass_command(Secret("a b")).reveal(), "PASS a b\r\n");
}

TEST(Pop3CommandBuilder, InitialResponseInlineOnlyWhenTheLineFits) {
    // "AUTH XOAUTH2 " is 13 octets, CRLF 2: a 240-octet response makes a 255-octet line.
    AuthCommand fits = auth_command("XOAUTH2", Secret(std::string(240, 'A')));
    EXPECT_EQ(fits.first_line.reveal(), "AUTH XOAUTH2 " + std::string(240, 'A') + "\r\n");
    EXPECT_FALSE(fits.deferred_response);

    AuthCommand deferred = auth_command("XOAUTH2", Secret(std::string(241, 'A')));
    EXPECT_EQ(deferred.first_line.reveal(), "AUTH XOAUTH2\r\n");
    ASSERT_TRUE(deferred.deferred_response);
    EXPECT_EQ(deferred.deferred_response->reveal(), std::string(241, 'A'));

    EXPECT_EQ(auth_command("PLAIN", Secret()).first_line.reveal(), "AUTH PLAIN =\r\n");
}

}  // namespace
}  // namespace mb::protocol::pop3
