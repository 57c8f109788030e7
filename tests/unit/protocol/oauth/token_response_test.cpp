// Tests for the token endpoint answer parser: RFC 6749 5.1/5.2 answers, lenient forms seen in the
// wild (numeric strings, "bearer"), and hostile bodies (huge, deep, wrong types).
#include "protocol/oauth/token_response.h"

#include <gtest/gtest.h>

#include <string>

namespace po = mb::protocol::oauth;

namespace {

po::TokenGrant grant_of(std::string_view body) {
    auto parsed = po::parse_token_response(body);
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
    EXPECT_TRUE(std::holds_alternative<po::TokenGrant>(*parsed));
    return std::get<po::TokenGrant>(std::move(parsed).value());
}

std::string error_of(std::string_view body) {
    auto parsed = po::parse_token_response(body);
    EXPECT_FALSE(parsed.ok());
    return parsed.ok() ? "" : parsed.error().message;
}

}  // namespace

TEST(TokenResponse, FullGrant) {
    auto grant = grant_of(R"({"access_token":"tok-123","token_type":"Bearer","expires_in":3599,)"
                          R"("refresh_token":"ref-456","scope":"a b","ext_expires_in":3599})");
    EXPECT_EQ(grant.access_token.reveal(), "tok-123");
    EXPECT_EQ(grant.token_type, "Bearer");
    EXPECT_EQ(grant.expires_in.count(), 3599);
    EXPECT_FALSE(grant.expires_in_defaulted);
    ASSERT_TRUE(grant.refresh_token.has_value());
    EXPECT_EQ(grant.refresh_token->reveal(), "ref-456");
    EXPECT_EQ(grant.scope, "a b");
}

TEST(TokenResponse, IdTokenIsKeptWhenPresent) {
    auto grant = grant_of(R"({"access_token":"t","token_type":"Bearer","id_token":"h.p.s"})");
    ASSERT_TRUE(grant.id_token.has_value());
    EXPECT_EQ(grant.id_token->reveal(), "h.p.s");
    EXPECT_FALSE(grant_of(R"({"access_token":"t","token_type":"Bearer"})").id_token);
    EXPECT_NE(
        error_of(R"({"access_token":"t","token_type":"Bearer","id_token":1})").find("id_token"),
        std::string::npos);
}

TEST(TokenResponse, TokenTypeIsCaseInsensitive) {
    EXPECT_EQ(grant_of(R"({"access_token":"t","token_type":"bearer","expires_in":1})").token_type,
              "bearer");
    EXPECT_EQ(grant_of(R"({"access_token":"t","token_type":"BEARER"})").token_type, "BEARER");
}

TEST(TokenResponse, ExpiresInForms) {
    EXPECT_EQ(grant_of(R"({"access_token":"t","token_type":"Bearer","expires_in":"3600"})")
                  .expires_in.count(),
              3600);
    EXPECT_EQ(
        grant_of(R"({"access_token":"t","token_type":"Bearer","expires_in":0})").expires_in.count(),
        0);
    EXPECT_EQ(grant_of(R"({"access_token":"t","token_type":"Bearer","expires_in":120.0})")
                  .expires_in.count(),
              120);
    auto defaulted = grant_of(R"({"access_token":"t","token_type":"Bearer"})");
    EXPECT_TRUE(defaulted.expires_in_defaulted);
    EXPECT_EQ(defaulted.expires_in, po::kDefaultExpiresIn);
    auto null_value = grant_of(R"({"access_token":"t","token_type":"Bearer","expires_in":null})");
    EXPECT_TRUE(null_value.expires_in_defaulted);
    EXPECT_EQ(grant_of(R"({"access_token":"t","token_type":"Bearer","expires_in":99999999999999})")
                  .expires_in,
              po::kMaxExpiresIn);
    EXPECT_EQ(grant_of(R"({"access_token":"t","token_type":"Bearer","expires_in":"999999999999"})")
                  .expires_in,
              po::kMaxExpiresIn);
}

TEST(TokenResponse, BadExpiresIn) {
    for (const char* value : {"-1", "1.5", "\"\"", "\"12a\"", "\"-5\"", "\" 5\"", "true", "[1]",
                              "{}", "\"1234567890123\"", "1e400"}) {
        std::string body =
            std::string(R"({"access_token":"t","token_type":"Bearer","expires_in":)") + value + "}";
        auto parsed = po::parse_token_response(body);
        if (std::string(value) == "1e400") {
            // nlohmann refuses numbers out of double range as a parse error.
            EXPECT_FALSE(parsed.ok()) << value;
            continue;
        }
        ASSERT_FALSE(parsed.ok()) << value;
        EXPECT_NE(parsed.error().message.find("expires_in"), std::string::npos) << value;
    }
}

TEST(TokenResponse, MissingOrBadFields) {
    EXPECT_NE(error_of(R"({"token_type":"Bearer"})").find("access_token"), std::string::npos);
    EXPECT_NE(error_of(R"({"access_token":"","token_type":"Bearer"})").find("access_token"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"access_token":42,"token_type":"Bearer"})").find("access_token"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"access_token":"t"})").find("token_type"), std::string::npos);
    EXPECT_NE(error_of(R"({"access_token":"t","token_type":"MAC"})").find("not Bearer"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"access_token":"t","token_type":["Bearer"]})").find("token_type"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"access_token":"t","token_type":"Bearer","scope":7})").find("scope"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"access_token":"t","token_type":"Bearer","refresh_token":{}})")
                  .find("refresh"),
              std::string::npos);
}

TEST(TokenResponse, ErrorsNeverQuoteTheToken) {
    auto message = error_of(R"({"access_token":"SECRET-TOKEN-VALUE","token_type":"MAC"})");
    EXPECT_EQ(message.find("SECRET-TOKEN-VALUE"), std::string::npos);
    message = error_of(R"({"access_token":"SECRET-TOKEN-VALUE","expires_in":-3,"token_type":"x"})");
    EXPECT_EQ(message.find("SECRET-TOKEN-VALUE"), std::string::npos);
}

TEST(TokenResponse, ErrorReply) {
    auto parsed = po::parse_token_response(
        R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret",)"
        R"("error_uri":"https://login.example/error?code=7000215","trace_id":"x"})");
    ASSERT_TRUE(parsed.ok());
    const auto& reply = std::get<po::TokenErrorReply>(*parsed);
    EXPECT_EQ(reply.error, "invalid_client");
    EXPECT_EQ(reply.description, "AADSTS7000215: Invalid client secret");
    EXPECT_EQ(reply.uri, "https://login.example/error?code=7000215");

    auto bare = po::parse_token_response(R"({"error":"invalid_grant"})");
    ASSERT_TRUE(bare.ok());
    EXPECT_EQ(std::get<po::TokenErrorReply>(*bare).description, "");

    // An error member wins over a token in the same answer.
    auto both =
        po::parse_token_response(R"({"error":"x","access_token":"t","token_type":"Bearer"})");
    ASSERT_TRUE(both.ok());
    EXPECT_TRUE(std::holds_alternative<po::TokenErrorReply>(*both));
}

TEST(TokenResponse, BadErrorReply) {
    EXPECT_NE(error_of(R"({"error":""})").find("error"), std::string::npos);
    EXPECT_NE(error_of(R"({"error":5})").find("error"), std::string::npos);
    EXPECT_NE(error_of(R"({"error":"x","error_description":[]})").find("error_description"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"error":"x","error_uri":1})").find("error_uri"), std::string::npos);
}

TEST(TokenResponse, NotJsonOrNotObject) {
    EXPECT_NE(error_of("").find("not valid JSON"), std::string::npos);
    EXPECT_NE(error_of("<html>502 Bad Gateway</html>").find("not valid JSON"), std::string::npos);
    EXPECT_NE(error_of(R"({"access_token":"t")").find("not valid JSON"), std::string::npos);
    EXPECT_NE(error_of(R"(["access_token"])").find("not an object"), std::string::npos);
    EXPECT_NE(error_of(R"("access_token")").find("not an object"), std::string::npos);
    EXPECT_NE(error_of("null").find("not an object"), std::string::npos);
    EXPECT_NE(error_of(std::string("{\"access_token\":\"t\0x\"}", 21)).find("JSON"),
              std::string::npos);
    EXPECT_NE(error_of("{\"access_token\":\"\xff\xfe\",\"token_type\":\"Bearer\"}").find("JSON"),
              std::string::npos);
}

TEST(TokenResponse, HugeBodyIsRefusedBeforeParsing) {
    std::string body =
        R"({"access_token":")" + std::string(70 * 1024, 'a') + R"(","token_type":"Bearer"})";
    EXPECT_NE(error_of(body).find("larger than 64 KiB"), std::string::npos);
    std::string fits =
        R"({"access_token":")" + std::string(60 * 1024, 'a') + R"(","token_type":"Bearer"})";
    EXPECT_EQ(grant_of(fits).access_token.reveal().size(), 60u * 1024);
}

TEST(TokenResponse, DeepNestingIsRefused) {
    std::string deep = R"({"x":)" + std::string(10000, '[') + std::string(10000, ']') + "}";
    EXPECT_NE(error_of(deep).find("deeper than"), std::string::npos);
    std::string deep_objects;
    for (int i = 0; i < 5000; ++i) deep_objects += R"({"a":)";
    deep_objects += "1" + std::string(5000, '}');
    EXPECT_NE(error_of(deep_objects).find("deeper than"), std::string::npos);
    // Brackets inside strings do not count.
    auto grant = grant_of(R"({"access_token":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"{{{{{{{{{{{{{{{{{{{{",)"
                          R"("token_type":"Bearer","extra":[[[[1]]]]})");
    EXPECT_EQ(grant.access_token.reveal().substr(0, 3), "[[[");
}

TEST(TokenResponse, UnclosedBracketsAreMalformedNotDeep) {
    EXPECT_NE(error_of("]]]]]{").find("JSON"), std::string::npos);
}
