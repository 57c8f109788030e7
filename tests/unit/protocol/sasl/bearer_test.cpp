// Tests for the XOAUTH2 and OAUTHBEARER initial responses and the error-challenge handling.
#include "protocol/sasl/bearer.h"

#include <gtest/gtest.h>

#include "protocol/sasl/base64.h"

namespace mb::protocol::sasl {
namespace {

std::string decoded(const Secret& encoded) {
    auto text = base64_decode(encoded.reveal());
    EXPECT_TRUE(text);
    return text ? *text : std::string();
}

TEST(SaslBearer, Xoauth2InitialResponse) {
    auto response = xoauth2_initial_response("alice@example.com", Secret("ya29.A0b-c_d~e+f/g=="));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(decoded(*response),
              "user=alice@example.com\x01"
              "auth=Bearer ya29.A0b-c_d~e+f/g==\x01\x01");
    // The example from Google's XOAUTH2 documentation.
    EXPECT_EQ(xoauth2_initial_response("someuser@example.com",
                                       Secret("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"))
                  ->reveal(),
              "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52"
              "YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
}

TEST(SaslBearer, OauthbearerInitialResponse) {
    auto response =
        oauthbearer_initial_response("user@example.com", "server.example.com", 143,
                                     Secret("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="));
    ASSERT_TRUE(response);
    // RFC 7628 §4.1 example.
    EXPECT_EQ(decoded(*response),
              "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
              "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
    response = oauthbearer_initial_response("a,b=c", "h", 993, Secret("t"));
    ASSERT_TRUE(response);
    EXPECT_EQ(decoded(*response).substr(0, 15), "n,a=a=2Cb=3Dc,\x01");
}

TEST(SaslBearer, RejectsInputsThatWouldBreakTheMessage) {
    EXPECT_FALSE(xoauth2_initial_response("", Secret("t")));
    EXPECT_FALSE(
        xoauth2_initial_response("a\x01"
                                 "b",
                                 Secret("t")));
    EXPECT_FALSE(xoauth2_initial_response("alice", Secret("")));
    EXPECT_FALSE(xoauth2_initial_response("alice", Secret("tok\x01"
                                                          "auth=x")));
    EXPECT_FALSE(xoauth2_initial_response("alice", Secret("tok en")));
    EXPECT_FALSE(xoauth2_initial_response("alice", Secret("tok\n")));
    EXPECT_FALSE(xoauth2_initial_response("alice", Secret("==")));
    EXPECT_FALSE(xoauth2_initial_response("alice", Secret("a=b")));
    EXPECT_FALSE(oauthbearer_initial_response("alice", "", 993, Secret("t")));
    EXPECT_FALSE(oauthbearer_initial_response("alice", "h\x01x", 993, Secret("t")));
    auto error = xoauth2_initial_response("alice", Secret("bad token"));
    EXPECT_EQ(error.error().message.find("bad token"), std::string::npos);
}

TEST(SaslBearer, ErrorChallengeAndAnswers) {
    const std::string json =
        R"({"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"})";
    auto text = decode_bearer_error(base64_encode(json));
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, json);
    EXPECT_FALSE(decode_bearer_error("not base64"));
    EXPECT_EQ(bearer_error_answer(BearerMechanism::Xoauth2), "");
    EXPECT_EQ(bearer_error_answer(BearerMechanism::OAuthBearer), "AQ==");
    EXPECT_EQ(*base64_decode(bearer_error_answer(BearerMechanism::OAuthBearer)), "\x01");
    EXPECT_EQ(mechanism_name(BearerMechanism::Xoauth2), "XOAUTH2");
    EXPECT_EQ(mechanism_name(BearerMechanism::OAuthBearer), "OAUTHBEARER");
}

}  // namespace
}  // namespace mb::protocol::sasl
