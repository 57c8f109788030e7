// The shared POP3/SMTP AUTH line: inline only when it fits, "=" for an empty response, the
// mechanism alone without one, and no line break smuggled in through the mechanism.
#include "protocol/sasl/auth_command.h"

#include <gtest/gtest.h>

namespace mb::protocol::sasl {
namespace {

TEST(SaslAuthCommand, InlineWhenTheLineFitsElseDeferred) {
    const std::string token(2400, 'T');  // a provider-sized XOAUTH2 response
    AuthCommand fits = auth_command("XOAUTH2", Secret(token), 4096);
    EXPECT_EQ(fits.first_line.reveal(), "AUTH XOAUTH2 " + token + "\r\n");
    EXPECT_TRUE(fits.carries_credentials);
    EXPECT_FALSE(fits.deferred_response);

    AuthCommand deferred = auth_command("XOAUTH2", Secret(token), 512);
    EXPECT_EQ(deferred.first_line.reveal(), "AUTH XOAUTH2\r\n");
    EXPECT_FALSE(deferred.carries_credentials);
    ASSERT_TRUE(deferred.deferred_response);
    EXPECT_EQ(deferred.deferred_response->reveal(), token);

    // Exactly at the limit: "AUTH X " + 3 + CRLF = 12 octets.
    EXPECT_TRUE(auth_command("X", Secret("abc"), 12).carries_credentials);
    EXPECT_FALSE(auth_command("X", Secret("abc"), 11).carries_credentials);
}

TEST(SaslAuthCommand, EmptyResponseAndNoResponse) {
    EXPECT_EQ(auth_command("PLAIN", Secret(""), 255).first_line.reveal(), "AUTH PLAIN =\r\n");
    AuthCommand login = auth_command("LOGIN", std::nullopt, 255);
    EXPECT_EQ(login.first_line.reveal(), "AUTH LOGIN\r\n");
    EXPECT_FALSE(login.carries_credentials);
    EXPECT_FALSE(login.deferred_response);
}

TEST(SaslAuthCommand, MechanismCannotBreakTheLine) {
    AuthCommand command = auth_command("PLAIN\r\nQUIT", std::nullopt, 255);
    EXPECT_EQ(command.first_line.reveal(), "AUTH PLAIN  QUIT\r\n");
}

}  // namespace
}  // namespace mb::protocol::sasl
