// Tests for the provider presets: every Microsoft cloud's endpoints and scopes per flow and
// protocol, Google's endpoints and scope, generic having none.
#include "protocol/oauth/provider_presets.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace po = mb::protocol::oauth;
using Strings = std::vector<std::string>;

struct CloudCase {
    po::CloudKind cloud;
    std::string login;
    std::string mail;
};

class MicrosoftCloud : public ::testing::TestWithParam<CloudCase> {};

TEST_P(MicrosoftCloud, Endpoints) {
    const auto& c = GetParam();
    EXPECT_EQ(po::microsoft_login_host(c.cloud), c.login);
    EXPECT_EQ(po::microsoft_mail_host(c.cloud), c.mail);
    auto endpoints = po::microsoft_endpoints(c.cloud, "contoso.onmicrosoft.com");
    ASSERT_TRUE(endpoints.ok());
    std::string base = "https://" + c.login + "/contoso.onmicrosoft.com/oauth2/v2.0/";
    EXPECT_EQ(endpoints->token, base + "token");
    EXPECT_EQ(endpoints->authorization, base + "authorize");
    EXPECT_EQ(endpoints->device_authorization, base + "devicecode");
}

TEST_P(MicrosoftCloud, Scopes) {
    const auto& c = GetParam();
    std::string host = "https://" + c.mail + "/";
    EXPECT_EQ(
        po::default_scopes(po::ProviderKind::microsoft, c.cloud, po::GrantFlow::client_credentials),
        Strings{host + ".default"});
    Strings all{host + "IMAP.AccessAsUser.All", host + "POP.AccessAsUser.All", host + "SMTP.Send",
                "offline_access"};
    for (auto flow : {po::GrantFlow::authorization_code, po::GrantFlow::device_code}) {
        EXPECT_EQ(po::default_scopes(po::ProviderKind::microsoft, c.cloud, flow), all);
        po::MailProtocol imap[] = {po::MailProtocol::imap};
        EXPECT_EQ(po::default_scopes(po::ProviderKind::microsoft, c.cloud, flow, imap),
                  (Strings{host + "IMAP.AccessAsUser.All", "offline_access"}));
        po::MailProtocol pop[] = {po::MailProtocol::pop3};
        EXPECT_EQ(po::default_scopes(po::ProviderKind::microsoft, c.cloud, flow, pop),
                  (Strings{host + "POP.AccessAsUser.All", "offline_access"}));
        po::MailProtocol smtp_twice[] = {po::MailProtocol::smtp, po::MailProtocol::smtp};
        EXPECT_EQ(po::default_scopes(po::ProviderKind::microsoft, c.cloud, flow, smtp_twice),
                  (Strings{host + "SMTP.Send", "offline_access"}));
    }
}

INSTANTIATE_TEST_SUITE_P(
    AllClouds, MicrosoftCloud,
    ::testing::Values(
        CloudCase{po::CloudKind::global, "login.microsoftonline.com", "outlook.office365.com"},
        CloudCase{po::CloudKind::usgov, "login.microsoftonline.us", "outlook.office365.us"},
        CloudCase{po::CloudKind::china, "login.chinacloudapi.cn", "partner.outlook.cn"}));

TEST(MicrosoftTenant, Validated) {
    EXPECT_TRUE(
        po::microsoft_endpoints(po::CloudKind::global, "72f988bf-86f1-41af-91ab-2d7cd011db47")
            .ok());
    EXPECT_TRUE(po::microsoft_endpoints(po::CloudKind::global, "organizations").ok());
    auto empty = po::microsoft_endpoints(po::CloudKind::global, "");
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message.find("tenant"), std::string::npos);
    for (const char* bad : {"a/b", "a?b", "a b", "../x", "a#b", "x@y"})
        EXPECT_FALSE(po::microsoft_endpoints(po::CloudKind::global, bad).ok()) << bad;
}

TEST(Google, EndpointsAndScope) {
    auto endpoints = po::google_endpoints();
    EXPECT_EQ(endpoints.authorization, "https://accounts.google.com/o/oauth2/v2/auth");
    EXPECT_EQ(endpoints.token, "https://oauth2.googleapis.com/token");
    EXPECT_EQ(endpoints.device_authorization, "https://oauth2.googleapis.com/device/code");
    for (auto flow : {po::GrantFlow::client_credentials, po::GrantFlow::authorization_code,
                      po::GrantFlow::device_code})
        EXPECT_EQ(po::default_scopes(po::ProviderKind::google, po::CloudKind::global, flow),
                  Strings{"https://mail.google.com/"});
}

TEST(Generic, NoDefaultScopes) {
    for (auto flow : {po::GrantFlow::client_credentials, po::GrantFlow::authorization_code,
                      po::GrantFlow::device_code})
        EXPECT_TRUE(
            po::default_scopes(po::ProviderKind::generic, po::CloudKind::global, flow).empty());
}
