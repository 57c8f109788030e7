// Tests for application/x-www-form-urlencoded bodies: RFC 3986 unreserved bytes pass, everything
// else is %XX, and the client_credentials form carries the right fields.
#include "protocol/oauth/form_encoding.h"

#include <gtest/gtest.h>

namespace po = mb::protocol::oauth;

TEST(FormEncoding, PercentEncode) {
    EXPECT_EQ(po::percent_encode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(po::percent_encode("a b+c&d=e/f?g#h%i"), "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25i");
    EXPECT_EQ(po::percent_encode("https://outlook.office365.com/.default"),
              "https%3A%2F%2Foutlook.office365.com%2F.default");
    EXPECT_EQ(po::percent_encode(std::string("\0\x7f\xff\xc3\xa9", 5)), "%00%7F%FF%C3%A9");
    EXPECT_EQ(po::percent_encode(""), "");
}

TEST(FormEncoding, EveryByteRoundTrips) {
    for (int c = 0; c < 256; ++c) {
        std::string one(1, static_cast<char>(c));
        std::string encoded = po::percent_encode(one);
        if (encoded.size() == 1) {
            EXPECT_TRUE(std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') << c;
        } else {
            ASSERT_EQ(encoded.size(), 3u);
            EXPECT_EQ(std::stoi(encoded.substr(1), nullptr, 16), c);
        }
    }
}

TEST(FormEncoding, Fields) {
    po::FormField fields[] = {{"a", "1"}, {"b c", "x&y"}, {"empty", ""}};
    EXPECT_EQ(po::form_encode(fields).reveal(), "a=1&b%20c=x%26y&empty=");
    EXPECT_EQ(po::form_encode({}).reveal(), "");
}

TEST(FormEncoding, ClientCredentials) {
    auto body =
        po::client_credentials_form("my-app", mb::Secret("s&cr=t +/"),
                                    {"https://outlook.office365.com/.default", "offline_access"});
    EXPECT_EQ(body.reveal(),
              "grant_type=client_credentials&client_id=my-app&client_secret=s%26cr%3Dt%20%2B%2F"
              "&scope=https%3A%2F%2Foutlook.office365.com%2F.default%20offline_access");
    EXPECT_EQ(po::client_credentials_form("id", mb::Secret(), {}).reveal(),
              "grant_type=client_credentials&client_id=id");
}

TEST(FormEncoding, RefreshTokenForm) {
    EXPECT_EQ(po::refresh_token_form("app", mb::Secret(), mb::Secret("r/1+2")).reveal(),
              "grant_type=refresh_token&refresh_token=r%2F1%2B2&client_id=app");
    EXPECT_EQ(po::refresh_token_form("app", mb::Secret("s&"), mb::Secret("r")).reveal(),
              "grant_type=refresh_token&refresh_token=r&client_id=app&client_secret=s%26");
}

TEST(FormEncoding, AuthorizationCodeForm) {
    EXPECT_EQ(po::authorization_code_form("app", mb::Secret(), mb::Secret("c=1"),
                                          "http://127.0.0.1:5000/callback", mb::Secret("v~x"))
                  .reveal(),
              "grant_type=authorization_code&code=c%3D1&redirect_uri=http%3A%2F%2F127.0.0.1%"
              "3A5000%2Fcallback&code_verifier=v~x&client_id=app");
}

TEST(FormEncoding, DeviceForms) {
    EXPECT_EQ(po::device_code_form("app", mb::Secret(), mb::Secret("dc")).reveal(),
              "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc&"
              "client_id=app");
    EXPECT_EQ(po::device_authorization_form("app", mb::Secret("s"), {"openid", "email"}).reveal(),
              "client_id=app&client_secret=s&scope=openid%20email");
    EXPECT_EQ(po::device_authorization_form("app", mb::Secret(), {}).reveal(), "client_id=app");
}
