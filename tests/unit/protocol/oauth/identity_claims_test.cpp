// Tests for the id_token identity check: claims read from the payload (signature not checked),
// iss/aud checks, the identity compared case-insensitively, and malformed tokens refused.
#include "protocol/oauth/identity_claims.h"

#include <gtest/gtest.h>

#include "protocol/oauth/pkce.h"

namespace {

namespace po = mb::protocol::oauth;

std::string jwt(const std::string& payload) {
    return po::base64url(R"({"alg":"RS256"})") + "." + po::base64url(payload) + ".c2ln";
}

TEST(IdentityClaims, ReadsThePayloadClaims) {
    auto claims = po::id_token_claims(
        jwt(R"({"iss":"https://idp","aud":["app","other"],"sub":"x","email":"Alice@Example.com",)"
            R"("preferred_username":"alice","upn":"a@corp"})"));
    ASSERT_TRUE(claims.ok()) << claims.error().message;
    EXPECT_EQ(claims->issuer, "https://idp");
    EXPECT_EQ(claims->audience, (std::vector<std::string>{"app", "other"}));
    EXPECT_EQ(po::named_identity(*claims), "Alice@Example.com");
    claims = po::id_token_claims(jwt(R"({"aud":"app","preferred_username":"bob@example.com"})"));
    ASSERT_TRUE(claims.ok());
    EXPECT_EQ(claims->audience, (std::vector<std::string>{"app"}));
    EXPECT_EQ(po::named_identity(*claims), "bob@example.com");
    claims = po::id_token_claims(jwt(R"({"upn":"carol@corp"})"));
    EXPECT_EQ(po::named_identity(*claims), "carol@corp");
    EXPECT_EQ(po::named_identity(*po::id_token_claims(jwt(R"({"sub":"x"})"))), std::nullopt);
}

TEST(IdentityClaims, RefusesMalformedTokens) {
    for (const std::string& token : {std::string("abc"), std::string("a.b"), std::string("a.!!.c"),
                                     std::string("a.b.c.d.e"), jwt("[1]"), jwt(R"({"email":5})"),
                                     jwt(R"({"aud":7})"), jwt(R"({"aud":[1]})"), jwt("not json")}) {
        auto claims = po::id_token_claims(token);
        ASSERT_FALSE(claims.ok()) << token;
        EXPECT_NE(claims.error().message.find("id_token"), std::string::npos);
    }
    EXPECT_NE(po::id_token_claims("a.b.c.d.e").error().message.find("encrypted"),
              std::string::npos);
}

TEST(IdentityClaims, ReadsUserinfoAnswers) {
    auto claims = po::userinfo_claims(R"({"sub":"x","preferred_username":"bob@example.com"})");
    ASSERT_TRUE(claims.ok());
    EXPECT_EQ(po::named_identity(*claims), "bob@example.com");
    EXPECT_FALSE(po::userinfo_claims("[]").ok());
    EXPECT_FALSE(po::userinfo_claims(R"({"email":["a"]})").ok());
}

TEST(IdentityClaims, ChecksIssuerAudienceAndIdentity) {
    auto claims = *po::id_token_claims(
        jwt(R"({"iss":"https://idp","aud":"app","email":"ALICE@example.com"})"));
    auto same = po::check_identity(claims, "alice@example.com", "https://idp", "app");
    ASSERT_TRUE(same.ok()) << same.error().message;
    EXPECT_EQ(*same, "ALICE@example.com");

    auto other = po::check_identity(claims, "bob@example.com", "https://idp", "app");
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message.find("signed in ALICE@example.com"), std::string::npos);
    EXPECT_NE(other.error().message.find("for bob@example.com"), std::string::npos);

    EXPECT_FALSE(po::check_identity(claims, "alice@example.com", "https://other", "app").ok());
    EXPECT_FALSE(po::check_identity(claims, "alice@example.com", "https://idp", "app2").ok());
    // Unknown issuer (provider presets) is not checked; no identity claim → nullopt.
    EXPECT_TRUE(po::check_identity(claims, "alice@example.com", "", "app").ok());
    auto anonymous = po::check_identity(*po::id_token_claims(jwt(R"({"sub":"x"})")),
                                        "alice@example.com", "https://idp", "app");
    ASSERT_TRUE(anonymous.ok());
    EXPECT_EQ(*anonymous, std::nullopt);
}

}  // namespace
