// Tests for the interpretation of token endpoint answers: success, refusals with actionable
// messages, transient classes, and server text made safe.
#include "bridge/oauth/token_endpoint_answer.h"

#include <gtest/gtest.h>

namespace mb::oauth {
namespace {

const char* kUrl = "https://login.example/t/token";

HttpResult answer(long status, std::string body) {
    HttpResult result;
    result.status = status;
    result.body = std::move(body);
    return result;
}

HttpResult failure(HttpFailure kind, std::string detail) {
    HttpResult result;
    result.failure = kind;
    result.detail = std::move(detail);
    return result;
}

TokenFetchOutcome interpret(const HttpResult& r) {
    return interpret_token_answer(r, kUrl, "client_credentials");
}

TEST(TokenEndpointAnswer, Grant) {
    auto outcome =
        interpret(answer(200, R"({"access_token":"t","token_type":"Bearer","expires_in":60})"));
    ASSERT_TRUE(outcome.grant.has_value());
    EXPECT_EQ(outcome.grant->expires_in.count(), 60);
    EXPECT_TRUE(outcome.message.empty());
}

TEST(TokenEndpointAnswer, RefusalsArePermanentAndActionable) {
    struct Case {
        const char* error;
        const char* expected;
    } cases[] = {
        {"invalid_client",
         "token endpoint refused the client credentials: invalid_client (d) — check client_id "
         "and client_secret"},
        {"unauthorized_client",
         "token endpoint does not allow this client the client_credentials grant: "
         "unauthorized_client (d) — allow the grant in the client's registration"},
        {"unsupported_grant_type",
         "token endpoint does not support the client_credentials grant: unsupported_grant_type "
         "(d) — choose another flow for this account"},
        {"invalid_scope",
         "token endpoint refused the requested scopes: invalid_scope (d) — check scopes"},
        {"invalid_grant",
         "token endpoint refused the client_credentials grant: invalid_grant (d) — the "
         "authorization is no longer valid; authorize again"},
        {"invalid_request", "token endpoint refused the request: invalid_request (d)"},
    };
    for (const auto& c : cases) {
        for (long status : {400L, 401L, 403L}) {
            auto outcome = interpret(answer(
                status, std::string(R"({"error":")") + c.error + R"(","error_description":"d"})"));
            EXPECT_FALSE(outcome.grant.has_value());
            EXPECT_FALSE(outcome.transient) << c.error;
            EXPECT_EQ(outcome.message, c.expected);
        }
    }
}

TEST(TokenEndpointAnswer, TransientAnswers) {
    for (long status : {408L, 429L, 500L, 502L, 503L, 504L}) {
        auto outcome = interpret(answer(status, "<html>busy</html>"));
        EXPECT_TRUE(outcome.transient) << status;
        EXPECT_NE(outcome.message.find("HTTP " + std::to_string(status)), std::string::npos);
    }
    auto unavailable = interpret(answer(400, R"({"error":"temporarily_unavailable"})"));
    EXPECT_TRUE(unavailable.transient);
    auto server_error =
        interpret(answer(500, R"({"error":"server_error","error_description":"x"})"));
    EXPECT_TRUE(server_error.transient);
    EXPECT_NE(server_error.message.find("temporarily unavailable: HTTP 500, server_error (x)"),
              std::string::npos);
    auto with_retry = answer(429, "");
    with_retry.retry_after = std::chrono::seconds(30);
    EXPECT_EQ(interpret(with_retry).retry_after, std::chrono::seconds(30));
}

TEST(TokenEndpointAnswer, OddStatusesAndBodies) {
    auto redirect = interpret(answer(302, ""));
    EXPECT_FALSE(redirect.transient);
    EXPECT_NE(redirect.message.find("HTTP 302 without an OAuth2 error — check token_endpoint"),
              std::string::npos);
    auto html = interpret(answer(200, "<html>login page</html>"));
    EXPECT_FALSE(html.transient);
    EXPECT_NE(html.message.find("sent an unusable answer"), std::string::npos);
    auto not_found = interpret(answer(404, "not found"));
    EXPECT_FALSE(not_found.transient);
}

TEST(TokenEndpointAnswer, TransportFailures) {
    auto refused = interpret(failure(HttpFailure::connect, "connection refused"));
    EXPECT_TRUE(refused.transient);
    EXPECT_EQ(refused.message, std::string("token endpoint ") + kUrl +
                                   " unreachable: connection refused — check token_endpoint and "
                                   "the network");
    EXPECT_TRUE(interpret(failure(HttpFailure::resolve, "host name not found")).transient);
    EXPECT_TRUE(interpret(failure(HttpFailure::timeout, "no answer within 5 s")).transient);
    EXPECT_TRUE(interpret(failure(HttpFailure::proxy, "407")).transient);
    auto tls = interpret(failure(HttpFailure::tls, "certificate verify failed"));
    EXPECT_FALSE(tls.transient);
    EXPECT_NE(tls.message.find("TLS to token endpoint"), std::string::npos);
    EXPECT_FALSE(interpret(failure(HttpFailure::too_large, "big")).transient);
    EXPECT_FALSE(interpret(failure(HttpFailure::other, "?")).transient);
}

TEST(TokenEndpointAnswer, ServerTextIsMadePrintable) {
    auto outcome = interpret(answer(
        400, R"({"error":"invalid_client","error_description":"line1\r\nFAKE LOG LINE\u0007"})"));
    EXPECT_EQ(outcome.message.find('\n'), std::string::npos);
    EXPECT_EQ(outcome.message.find('\a'), std::string::npos);
    EXPECT_EQ(printable_excerpt(std::string(500, 'x'), 10), "xxxxxxxxxx…");
}

}  // namespace
}  // namespace mb::oauth
