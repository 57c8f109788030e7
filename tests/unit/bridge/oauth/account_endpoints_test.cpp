// Tests for mapping accounts to token endpoints and scopes across providers, clouds and flows.
#include "bridge/oauth/account_endpoints.h"

#include <gtest/gtest.h>

namespace mb::oauth {
namespace {

using Strings = std::vector<std::string>;

config::AccountSettings account(config::Provider provider, config::Flow flow) {
    config::AccountSettings a;
    a.name = "acct";
    a.provider = provider;
    a.flow = flow;
    return a;
}

TEST(AccountEndpoints, MicrosoftPerCloud) {
    auto a = account(config::Provider::microsoft, config::Flow::client_credentials);
    a.tenant = "contoso.com";
    EXPECT_EQ(plan_token_endpoint(a)->token_endpoint,
              "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token");
    EXPECT_EQ(scopes_for(a), Strings{"https://outlook.office365.com/.default"});
    a.cloud = config::Cloud::usgov;
    EXPECT_EQ(plan_token_endpoint(a)->token_endpoint,
              "https://login.microsoftonline.us/contoso.com/oauth2/v2.0/token");
    EXPECT_EQ(scopes_for(a), Strings{"https://outlook.office365.us/.default"});
    a.cloud = config::Cloud::china;
    a.flow = config::Flow::authorization_code;
    EXPECT_EQ(plan_token_endpoint(a)->token_endpoint,
              "https://login.chinacloudapi.cn/contoso.com/oauth2/v2.0/token");
    EXPECT_EQ(scopes_for(a), (Strings{"https://partner.outlook.cn/IMAP.AccessAsUser.All",
                                      "https://partner.outlook.cn/POP.AccessAsUser.All",
                                      "https://partner.outlook.cn/SMTP.Send", "offline_access"}));
}

TEST(AccountEndpoints, MicrosoftNeedsATenant) {
    auto a = account(config::Provider::microsoft, config::Flow::client_credentials);
    auto plan = plan_token_endpoint(a);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().message.rfind("account acct: microsoft accounts need a tenant", 0), 0u);
}

TEST(AccountEndpoints, Google) {
    auto a = account(config::Provider::google, config::Flow::device_code);
    EXPECT_EQ(plan_token_endpoint(a)->token_endpoint, "https://oauth2.googleapis.com/token");
    EXPECT_EQ(scopes_for(a), Strings{"https://mail.google.com/"});
}

TEST(AccountEndpoints, ExplicitEndpointAndScopesWin) {
    auto a = account(config::Provider::microsoft, config::Flow::client_credentials);
    a.token_endpoint = "http://127.0.0.1:4000/token";
    a.scopes = {"custom"};
    EXPECT_EQ(plan_token_endpoint(a)->token_endpoint, "http://127.0.0.1:4000/token");
    EXPECT_EQ(scopes_for(a), Strings{"custom"});
    a.token_endpoint = "http://idp.example.com/token";
    auto plan = plan_token_endpoint(a);
    ASSERT_FALSE(plan.ok());
    EXPECT_NE(plan.error().message.find("token_endpoint must use https://"), std::string::npos);
}

TEST(AccountEndpoints, GenericDiscoveryOrError) {
    auto a = account(config::Provider::generic, config::Flow::client_credentials);
    auto none = plan_token_endpoint(a);
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message.find("needs token_endpoint or issuer"), std::string::npos);
    a.issuer = "https://id.example.com/";
    auto plan = plan_token_endpoint(a);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan->token_endpoint, "");
    EXPECT_EQ(plan->issuer, "https://id.example.com/");
    EXPECT_EQ(plan->discovery_url, "https://id.example.com/.well-known/openid-configuration");
    EXPECT_TRUE(scopes_for(a).empty());
    a.issuer = "http://id.example.com";
    EXPECT_FALSE(plan_token_endpoint(a).ok());
}

TEST(AccountEndpoints, FlowNames) {
    EXPECT_STREQ(flow_name(config::Flow::client_credentials), "client_credentials");
    EXPECT_STREQ(flow_name(config::Flow::authorization_code), "authorization_code");
    EXPECT_STREQ(flow_name(config::Flow::device_code), "device_code");
}

}  // namespace
}  // namespace mb::oauth
