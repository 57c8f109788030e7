// SaslClientExchange: the owed responses in order, then the bearer error answer or a cancel.
#include "protocol/sasl/client_exchange.h"

#include <gtest/gtest.h>

#include "protocol/sasl/base64.h"

namespace mb::protocol::sasl {
namespace {

TEST(SaslClientExchange, BearerWithInlineResponseAnswersTheErrorChallengeXoauth2) {
    auto exchange = SaslClientExchange::bearer(BearerMechanism::Xoauth2, std::nullopt);
    const std::string json = R"({"status":"401","schemes":"Bearer"})";
    auto answer = exchange.on_challenge(base64_encode(json));
    EXPECT_EQ(answer.line.reveal(), "\r\n");
    EXPECT_FALSE(answer.secret);
    ASSERT_TRUE(answer.bearer_error);
    EXPECT_EQ(*answer.bearer_error, json);
}

TEST(SaslClientExchange, OauthbearerErrorAnswerIsBase64Of0x01) {
    auto exchange = SaslClientExchange::bearer(BearerMechanism::OAuthBearer, std::nullopt);
    auto answer = exchange.on_challenge("not base64 !!");
    EXPECT_EQ(answer.line.reveal(), "AQ==\r\n");
    EXPECT_FALSE(answer.bearer_error);  // undecodable: nothing to show, still answered
}

TEST(SaslClientExchange, DeferredBearerResponseGoesAfterTheFirstEmptyChallenge) {
    const std::string token_response(2600, 'T');  // a provider-sized response
    auto exchange = SaslClientExchange::bearer(BearerMechanism::Xoauth2, Secret(token_response));
    EXPECT_EQ(exchange.owed(), 1u);
    auto first = exchange.on_challenge("");
    EXPECT_TRUE(first.secret);
    EXPECT_EQ(first.line.reveal(), token_response + "\r\n");
    auto second = exchange.on_challenge("eyJzdGF0dXMiOiI0MDEifQ==");
    EXPECT_FALSE(second.secret);
    EXPECT_EQ(second.line.reveal(), "\r\n");
}

TEST(SaslClientExchange, LoginSendsUserThenPasswordThenCancels) {
    auto exchange = SaslClientExchange::password({Secret("dXNlcg=="), Secret("cGFzcw==")});
    auto user = exchange.on_challenge("VXNlcm5hbWU6");
    auto password = exchange.on_challenge("UGFzc3dvcmQ6");
    auto extra = exchange.on_challenge("");
    EXPECT_EQ(user.line.reveal(), "dXNlcg==\r\n");
    EXPECT_TRUE(user.secret);
    EXPECT_EQ(password.line.reveal(), "cGFzcw==\r\n");
    EXPECT_TRUE(password.secret);
    EXPECT_EQ(extra.line.reveal(), "*\r\n");
    EXPECT_FALSE(extra.secret);
    EXPECT_FALSE(extra.bearer_error);
}

TEST(SaslClientExchange, PlainWithoutOwedResponseCancelsAnyChallenge) {
    auto exchange = SaslClientExchange::password({});
    EXPECT_EQ(exchange.on_challenge("eyJzdGF0dXMiOiI0MDEifQ==").line.reveal(), "*\r\n");
    EXPECT_EQ(exchange.on_challenge("").line.reveal(), "*\r\n");
}

TEST(SaslClientExchange, DefaultExchangeCancels) {
    SaslClientExchange exchange;
    EXPECT_EQ(exchange.on_challenge("anything").line.reveal(), "*\r\n");
}

}  // namespace
}  // namespace mb::protocol::sasl
