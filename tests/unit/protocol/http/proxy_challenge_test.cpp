// Tests for Proxy-Authenticate parsing: several challenges per header and several headers,
// quoted strings with escapes, token68, empty list elements, unknown schemes, hostile inputs and
// the limits.
#include "protocol/http/proxy_challenge.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace mb::protocol::http;

std::vector<Challenge> parse_ok(std::vector<std::string_view> values) {
    auto parsed = parse_challenges(values);
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
    return parsed.ok() ? parsed.value() : std::vector<Challenge>{};
}

TEST(ProxyChallenge, SquidDigestChallenge) {
    auto c =
        parse_ok({R"(Digest realm="mailbridge-rig", nonce="ZnVu+/==", qop="auth", stale=false)"});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_TRUE(c[0].is("digest"));
    EXPECT_EQ(c[0].param("realm"), "mailbridge-rig");
    EXPECT_EQ(c[0].param("NONCE"), "ZnVu+/==");
    EXPECT_EQ(c[0].param("qop"), "auth");
    EXPECT_EQ(c[0].param("stale"), "false");
    EXPECT_FALSE(c[0].param("opaque"));
}

TEST(ProxyChallenge, SeveralChallengesInOneHeader) {
    auto c = parse_ok(
        {R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")"});
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].scheme, "Newauth");
    EXPECT_EQ(c[0].param("title"), "Login to \"apps\"");
    EXPECT_EQ(c[0].param("type"), "1");
    EXPECT_EQ(c[1].scheme, "Basic");
    EXPECT_EQ(c[1].param("realm"), "simple");
}

TEST(ProxyChallenge, SeveralHeadersAndBareSchemes) {
    auto c = parse_ok({"Negotiate, NTLM", "Basic realm=\"r\", charset=\"UTF-8\"",
                       "Digest realm=\"r\",nonce=\"n\",algorithm=SHA-256"});
    ASSERT_EQ(c.size(), 4u);
    EXPECT_EQ(c[0].scheme, "Negotiate");
    EXPECT_TRUE(c[0].params.empty());
    EXPECT_EQ(c[1].scheme, "NTLM");
    EXPECT_EQ(c[2].scheme, "Basic");
    EXPECT_EQ(c[2].param("charset"), "UTF-8");
    EXPECT_EQ(c[3].scheme, "Digest");
    EXPECT_EQ(c[3].param("nonce"), "n");
    EXPECT_EQ(c[3].param("algorithm"), "SHA-256");
}

TEST(ProxyChallenge, Token68WithPadding) {
    auto c = parse_ok({"Negotiate YII/+abc==, Basic realm=x"});
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].token68, "YII/+abc==");
    EXPECT_EQ(c[1].param("realm"), "x");
    auto padded_only = parse_ok({"Foo abc="});
    ASSERT_EQ(padded_only.size(), 1u);
    EXPECT_EQ(padded_only[0].token68, "abc=");
}

TEST(ProxyChallenge, WhitespaceAndEmptyElements) {
    auto c = parse_ok({" ,, Basic   realm = \"r\" , ,  Digest realm=\"d\" ,nonce=\"n\",, "});
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].param("realm"), "r");
    EXPECT_EQ(c[1].param("realm"), "d");
    EXPECT_EQ(c[1].param("nonce"), "n");
    EXPECT_TRUE(parse_ok({"", "  ", ","}).empty());
}

TEST(ProxyChallenge, QuotedEscapesAndSpecials) {
    auto c = parse_ok({R"(Digest realm="a\\b\"c, d=e", nonce="x y")"});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].param("realm"), "a\\b\"c, d=e");
    EXPECT_EQ(c[0].param("nonce"), "x y");
}

TEST(ProxyChallenge, HostileInputsAreErrors) {
    for (const char* value : {
             R"(Digest realm="unterminated)",
             R"(Digest realm="ends in backslash\)",
             "Digest realm=\"a\x01b\"",
             R"(Digest realm="r" nonce="n")",
             R"(Digest realm="r", realm="again")",
             R"("quoted-scheme" realm=x)",
             R"(Digest, realm=)",
             "Basic\"realm\"",
             "Negotiate abc def",
             "Digest realm=\"r\", nonce=\"n\";",
             "Digest =x",
         }) {
        auto parsed = parse_challenges({value});
        EXPECT_FALSE(parsed.ok()) << value;
        if (!parsed.ok()) {
            EXPECT_NE(parsed.error().message.find("malformed Proxy-Authenticate"),
                      std::string::npos);
        }
    }
}

TEST(ProxyChallenge, ChallengeLimit) {
    std::string value;
    for (std::size_t i = 0; i < kMaxChallenges; ++i) value += "Basic realm=x, ";
    EXPECT_TRUE(parse_challenges({value}).ok());
    EXPECT_FALSE(parse_challenges({value + "Basic"}).ok());
    EXPECT_FALSE(parse_challenges({value, "Basic"}).ok());
}

TEST(ProxyChallenge, ParamLimit) {
    std::string value = "Digest ";
    for (std::size_t i = 0; i < kMaxChallengeParams; ++i) value += "p" + std::to_string(i) + "=v, ";
    EXPECT_TRUE(parse_challenges({value}).ok());
    EXPECT_FALSE(parse_challenges({value + "extra=v"}).ok());
}

TEST(ProxyChallenge, EveryPrefixParsesOrFailsCleanly) {
    const std::string value =
        R"(Digest realm="a\"b", nonce="n", qop="auth,auth-int", Basic realm=r, Negotiate abc==)";
    for (std::size_t n = 0; n <= value.size(); ++n) {
        auto parsed = parse_challenges({std::string_view(value).substr(0, n)});
        if (parsed.ok()) {
            EXPECT_LE(parsed->size(), 3u);
        } else {
            EXPECT_FALSE(parsed.error().message.empty());
        }
    }
}

}  // namespace
