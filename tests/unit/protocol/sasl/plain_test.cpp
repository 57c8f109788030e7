// Tests for SASL PLAIN decoding (strict) and encoding.
#include "protocol/sasl/plain.h"

#include <gtest/gtest.h>

#include "protocol/sasl/base64.h"

namespace mb::protocol::sasl {
namespace {

std::string b64(std::string_view text) {
    return base64_encode(text);
}

TEST(SaslPlain, DecodesAuthzidAuthcidPassword) {
    auto creds = decode_plain(b64(std::string("\0alice@example.com\0s3cr\xc3\xa9t", 26)));
    ASSERT_TRUE(creds) << creds.error().message;
    EXPECT_EQ(creds->authzid, "");
    EXPECT_EQ(creds->authcid, "alice@example.com");
    EXPECT_EQ(creds->password.reveal(), "s3cr\xc3\xa9t");
    creds = decode_plain(b64(std::string("admin\0alice\0pw", 14)));
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->authzid, "admin");
    EXPECT_EQ(creds->authcid, "alice");
}

TEST(SaslPlain, RejectsMalformedResponses) {
    EXPECT_NE(decode_plain("not base64!").error().message.find("not valid base64"),
              std::string::npos);
    EXPECT_NE(decode_plain("").error().message.find("authzid NUL user NUL password"),
              std::string::npos);
    EXPECT_NE(decode_plain(b64("alicepw")).error().message.find("authzid NUL user NUL password"),
              std::string::npos);
    EXPECT_NE(decode_plain(b64(std::string("alice\0pw", 8))).error().message.find("authzid NUL"),
              std::string::npos);
    EXPECT_NE(decode_plain(b64(std::string("\0a\0b\0c", 6))).error().message.find("authzid NUL"),
              std::string::npos);
    EXPECT_EQ(decode_plain(b64(std::string("\0\0pw", 4))).error().message,
              "SASL PLAIN response has an empty user name");
    EXPECT_EQ(decode_plain(b64(std::string("\0alice\0", 7))).error().message,
              "SASL PLAIN response has an empty password");
    EXPECT_FALSE(decode_plain(b64(std::string("\0alice\0pw", 9)) + "\r\n"));
}

TEST(SaslPlain, EncodesAndRoundTrips) {
    auto encoded = encode_plain("", "alice", Secret("pw"));
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded->reveal(), "AGFsaWNlAHB3");
    auto decoded = decode_plain(encoded->reveal());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->authcid, "alice");
    EXPECT_EQ(decoded->password.reveal(), "pw");
    EXPECT_FALSE(encode_plain("", "", Secret("pw")));
    EXPECT_FALSE(encode_plain("", "alice", Secret("")));
    EXPECT_FALSE(encode_plain("", std::string("al\0ce", 5), Secret("pw")));
    EXPECT_FALSE(encode_plain("", "alice", Secret(std::string("p\0w", 3))));
}

}  // namespace
}  // namespace mb::protocol::sasl
