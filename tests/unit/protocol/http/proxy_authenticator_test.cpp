// Tests for ProxyAuthenticator: choice per mode (any prefers Digest, SHA-256 over MD5), strict
// modes refusing other schemes, auth = "none", the stale=true retry and "407 after credentials".
#include "protocol/http/proxy_authenticator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace mb::protocol::http;
using mb::Secret;

ResponseHead head_407(std::vector<std::string> challenges) {
    ResponseHead head;
    head.status = 407;
    for (auto& c : challenges) head.headers.push_back({"Proxy-Authenticate", std::move(c)});
    return head;
}

ProxyAuthenticator make(ProxyAuthMode mode) {
    return ProxyAuthenticator(mode, "proxyuser", Secret("proxy-pass-1"));
}

const std::string kDigest = R"(Digest realm="r", nonce="n1", qop="auth")";
const std::string kDigestSha = R"(Digest realm="r", nonce="n2", qop="auth", algorithm=SHA-256)";
const std::string kBasic = R"(Basic realm="r")";

bool starts_with(const Secret& value, std::string_view prefix) {
    return value.reveal().rfind(prefix, 0) == 0;
}

TEST(ProxyAuthenticator, AnyPrefersDigestAndSha256) {
    auto auth = make(ProxyAuthMode::any);
    auto value = auth.answer(head_407({kBasic, kDigest, kDigestSha}), "h:993", "cn");
    ASSERT_TRUE(value.ok()) << value.error().message;
    EXPECT_TRUE(starts_with(*value, "Digest username=\"proxyuser\""));
    EXPECT_NE(value->reveal().find("algorithm=SHA-256"), std::string::npos);
    EXPECT_NE(value->reveal().find("uri=\"h:993\""), std::string::npos);
    EXPECT_EQ(auth.scheme(), "Digest SHA-256");
}

TEST(ProxyAuthenticator, AnyFallsBackToBasic) {
    auto auth = make(ProxyAuthMode::any);
    auto value = auth.answer(head_407({"Negotiate, NTLM", kBasic}), "h:993", "cn");
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value->reveal(), "Basic cHJveHl1c2VyOnByb3h5LXBhc3MtMQ==");
    EXPECT_EQ(auth.scheme(), "Basic");
}

TEST(ProxyAuthenticator, AnyWithUnusableDigestUsesBasic) {
    auto auth = make(ProxyAuthMode::any);
    auto value = auth.answer(
        head_407({R"(Digest realm="r", nonce="n", algorithm=SHA-512-256)", kBasic}), "h:1", "c");
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(auth.scheme(), "Basic");
}

TEST(ProxyAuthenticator, StrictModesRefuseOtherSchemes) {
    auto basic = make(ProxyAuthMode::basic);
    auto refused = basic.answer(head_407({kDigest}), "h:1", "c");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("offers Digest but auth = \"basic\" accepts only Basic"),
              std::string::npos)
        << refused.error().message;

    auto digest = make(ProxyAuthMode::digest);
    auto refused_digest = digest.answer(head_407({kBasic, "NTLM"}), "h:1", "c");
    ASSERT_FALSE(refused_digest.ok());
    EXPECT_NE(refused_digest.error().message.find("offers Basic, NTLM but auth = \"digest\""),
              std::string::npos)
        << refused_digest.error().message;

    EXPECT_TRUE(make(ProxyAuthMode::basic).answer(head_407({kDigest, kBasic}), "h:1", "c").ok());
    EXPECT_TRUE(make(ProxyAuthMode::digest).answer(head_407({kBasic, kDigest}), "h:1", "c").ok());
}

TEST(ProxyAuthenticator, DigestModeExplainsAnUnusableChallenge) {
    auto auth = make(ProxyAuthMode::digest);
    auto refused =
        auth.answer(head_407({R"(Digest realm="r", nonce="n", qop="auth-int")"}), "h:1", "c");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("auth-int"), std::string::npos);
}

TEST(ProxyAuthenticator, NoneRefusesA407) {
    auto auth = make(ProxyAuthMode::none);
    auto refused = auth.answer(head_407({kBasic}), "h:1", "c");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("auth = \"none\""), std::string::npos);
}

TEST(ProxyAuthenticator, NoChallengeAtAll) {
    auto refused = make(ProxyAuthMode::any).answer(head_407({}), "h:1", "c");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("offers no challenge"), std::string::npos);
}

TEST(ProxyAuthenticator, MalformedChallengeIsAnError) {
    auto refused = make(ProxyAuthMode::any).answer(head_407({"Digest realm=\"open"}), "h:1", "c");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("malformed Proxy-Authenticate"), std::string::npos);
}

TEST(ProxyAuthenticator, SecondRejectionFails) {
    auto auth = make(ProxyAuthMode::any);
    ASSERT_TRUE(auth.answer(head_407({kDigest}), "h:1", "c1").ok());
    auto again = auth.answer(head_407({kDigest}), "h:1", "c2");
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("proxy authentication failed (407 after credentials)"),
              std::string::npos);

    auto basic = make(ProxyAuthMode::basic);
    ASSERT_TRUE(basic.answer(head_407({kBasic}), "h:1", "c").ok());
    EXPECT_FALSE(basic.answer(head_407({kBasic}), "h:1", "c").ok());
}

TEST(ProxyAuthenticator, StaleNonceIsRetriedOnce) {
    auto auth = make(ProxyAuthMode::digest);
    auto first = auth.answer(head_407({kDigest}), "h:1", "c1");
    ASSERT_TRUE(first.ok());
    const std::string stale = R"(Digest realm="r", nonce="fresh", qop="auth", stale=true)";
    auto retry = auth.answer(head_407({stale}), "h:1", "c2");
    ASSERT_TRUE(retry.ok());
    EXPECT_NE(retry->reveal().find("nonce=\"fresh\""), std::string::npos);
    EXPECT_NE(retry->reveal().find("nc=00000001"), std::string::npos);
    auto third = auth.answer(head_407({stale}), "h:1", "c3");
    ASSERT_FALSE(third.ok());
    EXPECT_NE(third.error().message.find("407 after credentials"), std::string::npos);
}

TEST(ProxyAuthenticator, StaleAfterBasicIsARejection) {
    auto auth = make(ProxyAuthMode::any);
    ASSERT_TRUE(auth.answer(head_407({kBasic}), "h:1", "c").ok());
    EXPECT_FALSE(
        auth.answer(head_407({R"(Digest realm="r", nonce="x", stale=true)"}), "h:1", "c").ok());
}

}  // namespace
