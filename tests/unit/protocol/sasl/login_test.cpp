// Tests for the SASL LOGIN prompts and answers.
#include "protocol/sasl/login.h"

#include <gtest/gtest.h>

#include "protocol/sasl/base64.h"

namespace mb::protocol::sasl {
namespace {

TEST(SaslLogin, PromptsAreTheUsualBase64Texts) {
    EXPECT_EQ(*base64_decode(kLoginUserPrompt), "Username:");
    EXPECT_EQ(*base64_decode(kLoginPasswordPrompt), "Password:");
}

TEST(SaslLogin, DecodesAnswers) {
    EXPECT_EQ(*decode_login_user("YWxpY2U="), "alice");
    EXPECT_EQ(decode_login_password("c2VjcmV0")->reveal(), "secret");
}

TEST(SaslLogin, RejectsBadAnswers) {
    EXPECT_NE(decode_login_user("YWxpY2U").error().message.find("user name is not valid base64"),
              std::string::npos);
    EXPECT_NE(decode_login_user("").error().message.find("empty"), std::string::npos);
    EXPECT_NE(decode_login_password("=").error().message.find("not valid base64"),
              std::string::npos);
    EXPECT_NE(decode_login_password(base64_encode(std::string("a\0b", 3)))
                  .error()
                  .message.find("contains NUL"),
              std::string::npos);
}

TEST(SaslLogin, EncodesAnswers) {
    EXPECT_EQ(encode_login_user("alice"), "YWxpY2U=");
    EXPECT_EQ(encode_login_password(Secret("secret")).reveal(), "c2VjcmV0");
}

}  // namespace
}  // namespace mb::protocol::sasl
