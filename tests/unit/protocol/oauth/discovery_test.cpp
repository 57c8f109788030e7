// Tests for OpenID discovery: URL building, the exact issuer rule, endpoint URL checks, hostile
// documents.
#include "protocol/oauth/discovery.h"

#include <gtest/gtest.h>

#include <string>

namespace po = mb::protocol::oauth;

TEST(Discovery, Url) {
    EXPECT_EQ(po::discovery_url("https://id.example.com"),
              "https://id.example.com/.well-known/openid-configuration");
    EXPECT_EQ(po::discovery_url("https://id.example.com/"),
              "https://id.example.com/.well-known/openid-configuration");
    EXPECT_EQ(po::discovery_url("https://id.example.com/realms/mail"),
              "https://id.example.com/realms/mail/.well-known/openid-configuration");
}

TEST(Discovery, ParsesEndpoints) {
    auto document = po::parse_discovery(
        R"({"issuer":"https://id.example.com","token_endpoint":"https://id.example.com/token",)"
        R"("authorization_endpoint":"https://id.example.com/auth",)"
        R"("device_authorization_endpoint":"https://id.example.com/device/auth",)"
        R"("scopes_supported":["openid","offline_access"],"jwks_uri":"https://id.example.com/jwks"})",
        "https://id.example.com");
    ASSERT_TRUE(document.ok()) << document.error().message;
    EXPECT_EQ(document->issuer, "https://id.example.com");
    EXPECT_EQ(document->token_endpoint, "https://id.example.com/token");
    EXPECT_EQ(document->authorization_endpoint, "https://id.example.com/auth");
    EXPECT_EQ(document->device_authorization_endpoint, "https://id.example.com/device/auth");
}

TEST(Discovery, OptionalEndpointsMayBeAbsent) {
    auto document = po::parse_discovery(
        R"({"issuer":"http://127.0.0.1:4000","token_endpoint":"http://127.0.0.1:4000/token"})",
        "http://127.0.0.1:4000");
    ASSERT_TRUE(document.ok()) << document.error().message;
    EXPECT_EQ(document->authorization_endpoint, "");
    EXPECT_EQ(document->device_authorization_endpoint, "");
}

TEST(Discovery, IssuerMustMatchExactly) {
    const char* body =
        R"({"issuer":"https://id.example.com/","token_endpoint":"https://id.example.com/token"})";
    auto document = po::parse_discovery(body, "https://id.example.com");
    ASSERT_FALSE(document.ok());
    EXPECT_NE(document.error().message.find("not the configured"), std::string::npos);
    EXPECT_FALSE(po::parse_discovery(body, "https://ID.example.com/").ok());
    EXPECT_TRUE(po::parse_discovery(body, "https://id.example.com/").ok());
    EXPECT_FALSE(po::parse_discovery(R"({"token_endpoint":"https://a/token"})", "https://a").ok());
    EXPECT_FALSE(
        po::parse_discovery(R"({"issuer":7,"token_endpoint":"https://a/token"})", "https://a")
            .ok());
}

TEST(Discovery, TokenEndpointRequiredAndChecked) {
    auto missing = po::parse_discovery(R"({"issuer":"https://a"})", "https://a");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("token_endpoint is missing"), std::string::npos);
    auto plain = po::parse_discovery(R"({"issuer":"https://a","token_endpoint":"http://a/token"})",
                                     "https://a");
    ASSERT_FALSE(plain.ok());
    EXPECT_NE(plain.error().message.find("https"), std::string::npos);
    auto wrong_type = po::parse_discovery(
        R"({"issuer":"https://a","token_endpoint":["https://a/t"]})", "https://a");
    EXPECT_FALSE(wrong_type.ok());
    auto bad_device = po::parse_discovery(
        R"({"issuer":"https://a","token_endpoint":"https://a/t","device_authorization_endpoint":"ftp://a/d"})",
        "https://a");
    EXPECT_FALSE(bad_device.ok());
}

TEST(Discovery, HostileDocuments) {
    EXPECT_FALSE(po::parse_discovery("", "https://a").ok());
    EXPECT_FALSE(po::parse_discovery("[]", "https://a").ok());
    EXPECT_FALSE(po::parse_discovery(std::string(100 * 1024, ' ') + "{}", "https://a").ok());
    EXPECT_FALSE(
        po::parse_discovery(std::string(5000, '[') + std::string(5000, ']'), "https://a").ok());
}
