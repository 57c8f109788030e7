// Tests for the authorization URL and the redirect: encoding, state check, error answers and
// hostile queries.
#include "protocol/oauth/authorization_request.h"

#include <gtest/gtest.h>

namespace po = mb::protocol::oauth;

TEST(AuthorizationRequest, UrlCarriesEveryParameterEncoded) {
    po::AuthorizationRequest request;
    request.endpoint = "http://127.0.0.1:3000/auth";
    request.client_id = "native app";
    request.redirect_uri = "http://127.0.0.1:4711/callback";
    request.scopes = {"openid", "offline_access"};
    request.state = "st&ate";
    request.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    request.login_hint = "alice@example.com";
    EXPECT_EQ(po::authorization_url(request),
              "http://127.0.0.1:3000/auth?response_type=code&client_id=native%20app&redirect_uri="
              "http%3A%2F%2F127.0.0.1%3A4711%2Fcallback&scope=openid%20offline_access&state=st%"
              "26ate&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_"
              "method=S256&prompt=consent&login_hint=alice%40example.com");
    request.endpoint = "https://login.example.com/authorize?tenant=x";
    request.scopes.clear();
    request.login_hint.clear();
    const auto url = po::authorization_url(request);
    EXPECT_EQ(url.rfind("https://login.example.com/authorize?tenant=x&response_type=code", 0), 0u);
    EXPECT_EQ(url.find("scope="), std::string::npos);
    EXPECT_EQ(url.find("login_hint"), std::string::npos);
}

TEST(AuthorizationRequest, PercentDecode) {
    EXPECT_EQ(po::percent_decode("a%20b+c%2F%2f").value(), "a b c//");
    EXPECT_EQ(po::percent_decode("").value(), "");
    EXPECT_EQ(po::percent_decode("%00").value(), std::string(1, '\0'));
    EXPECT_FALSE(po::percent_decode("%").ok());
    EXPECT_FALSE(po::percent_decode("%2").ok());
    EXPECT_FALSE(po::percent_decode("abc%").ok());
    EXPECT_FALSE(po::percent_decode("%zz").ok());
}

TEST(AuthorizationRequest, QueryValue) {
    EXPECT_EQ(po::query_value("a=1&b=2", "b").value(), std::optional<std::string>("2"));
    EXPECT_EQ(po::query_value("a=1&b", "b").value(), std::optional<std::string>(""));
    EXPECT_FALSE(po::query_value("a=1&b=2", "c").value().has_value());
    EXPECT_FALSE(po::query_value("", "c").value().has_value());
    EXPECT_EQ(po::query_value("&&x%3Dy=z", "x=y").value(), std::optional<std::string>("z"));
    EXPECT_EQ(po::query_value("a=1&a=2", "a").value(), std::optional<std::string>("1"));
}

TEST(AuthorizationRequest, CodeFromRedirect) {
    auto code = po::code_from_redirect("code=abc%2B1&state=s1&iss=http%3A%2F%2Fx", "s1");
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(code->reveal(), "abc+1");
}

TEST(AuthorizationRequest, WrongOrMissingStateIsRefused) {
    for (const char* query : {"code=abc&state=s2", "code=abc", "code=abc&state=", "state=s1x"}) {
        auto code = po::code_from_redirect(query, "s1");
        ASSERT_FALSE(code.ok()) << query;
        EXPECT_NE(code.error().message.find("state"), std::string::npos) << query;
    }
    auto no_code = po::code_from_redirect("state=s1", "s1");
    ASSERT_FALSE(no_code.ok());
    EXPECT_NE(no_code.error().message.find("no authorization code"), std::string::npos);
}

TEST(AuthorizationRequest, ErrorAnswerIsReported) {
    auto refused = po::code_from_redirect(
        "error=access_denied&error_description=user%20said%0Ano&state=s1", "s1");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message,
              "the authorization server refused: access_denied (user said no)");
}

TEST(AuthorizationRequest, BrokenEscapesAreErrors) {
    EXPECT_FALSE(po::code_from_redirect("code=%zz&state=s1", "s1").ok());
    EXPECT_FALSE(po::code_from_redirect("state=%", "s1").ok());
}
