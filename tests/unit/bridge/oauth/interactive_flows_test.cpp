// Tests for the interactive flows of `mailbridge auth` against a loopback token endpoint: the
// redirect listener (paths, split requests, timeouts, bad redirect_uris), the authorization code
// flow end to end with a PKCE check, the device flow's polling (pending, slow_down, denial,
// expiry), and the endpoint plan for each provider.
#include "bridge/oauth/interactive_flows.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "bridge/oauth/interactive_authorization.h"
#include "bridge/oauth/loopback_redirect.h"
#include "protocol/oauth/authorization_request.h"
#include "protocol/oauth/pkce.h"
#include "tests/unit/bridge/oauth/loopback_http_server.h"

namespace mb::oauth {
namespace {

using namespace std::chrono_literals;
using test::LoopbackHttpServer;

// Sends `request` to 127.0.0.1:port in pieces of `chunk` bytes; returns the whole answer.
std::string http_exchange(std::uint16_t port, const std::string& request, std::size_t chunk) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return "";
    }
    for (std::size_t i = 0; i < request.size(); i += chunk) {
        ::send(fd, request.data() + i, std::min(chunk, request.size() - i), MSG_NOSIGNAL);
        if (chunk < request.size()) std::this_thread::sleep_for(1ms);
    }
    std::string answer;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        answer.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return answer;
}

// An ostream whose text another thread may read while the flow writes.
class SharedText : public std::stringbuf {
  public:
    std::string text() {
        std::lock_guard lock(mutex_);
        return str();
    }

  protected:
    std::streamsize xsputn(const char* data, std::streamsize count) override {
        std::lock_guard lock(mutex_);
        return std::stringbuf::xsputn(data, count);
    }
    int_type overflow(int_type c) override {
        std::lock_guard lock(mutex_);
        return std::stringbuf::overflow(c);
    }

  private:
    std::recursive_mutex mutex_;  // xsputn may call overflow
};

RedirectVerdict page(const std::string& query) {
    return RedirectVerdict{true, "<p>" + query + "</p>"};
}

TEST(RedirectListener, TakesTheQueryOfTheRedirectPathOnly) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
        auto listener = RedirectListener::open("http://127.0.0.1:0/callback");
        ASSERT_TRUE(listener.ok()) << listener.error().message;
        ASSERT_NE(listener->port(), 0);
        EXPECT_EQ(listener->redirect_uri(),
                  "http://127.0.0.1:" + std::to_string(listener->port()) + "/callback");
        std::string not_found;
        std::string found;
        std::thread browser([&, port = listener->port()] {
            not_found = http_exchange(port, "GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n", chunk);
            found = http_exchange(
                port, "GET /callback?code=c1&state=s1 HTTP/1.1\r\nHost: x\r\n\r\n", chunk);
        });
        auto query = listener->wait(5s, page);
        browser.join();
        ASSERT_TRUE(query.ok()) << query.error().message;
        EXPECT_EQ(*query, "code=c1&state=s1");
        EXPECT_EQ(not_found.rfind("HTTP/1.1 404", 0), 0u) << chunk;
        EXPECT_EQ(found.rfind("HTTP/1.1 200", 0), 0u) << chunk;
        EXPECT_NE(found.find("<p>code=c1&state=s1</p>"), std::string::npos) << found;
    }
}

TEST(RedirectListener, RefusedRequestsGet400AndTheWaitGoesOn) {
    auto listener = RedirectListener::open("http://127.0.0.1:0/callback");
    ASSERT_TRUE(listener.ok());
    std::string refused;
    std::string accepted;
    std::thread browser([&, port = listener->port()] {
        refused = http_exchange(port, "GET /callback?state=forged HTTP/1.1\r\n\r\n", 4096);
        accepted = http_exchange(port, "GET /callback?state=s1 HTTP/1.1\r\n\r\n", 4096);
    });
    auto query = listener->wait(5s, [](const std::string& q) {
        return RedirectVerdict{q == "state=s1", q == "state=s1" ? "yes" : "not yours"};
    });
    browser.join();
    ASSERT_TRUE(query.ok()) << query.error().message;
    EXPECT_EQ(*query, "state=s1");
    EXPECT_EQ(refused.rfind("HTTP/1.1 400", 0), 0u) << refused;
    EXPECT_NE(refused.find("not yours"), std::string::npos);
    EXPECT_NE(refused.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(accepted.rfind("HTTP/1.1 200", 0), 0u) << accepted;
}

TEST(RedirectListener, TimesOutWithAClearMessage) {
    auto listener = RedirectListener::open("http://localhost/callback");
    ASSERT_TRUE(listener.ok());
    EXPECT_EQ(listener->redirect_uri().rfind("http://localhost:", 0), 0u);
    auto query = listener->wait(200ms, page);
    ASSERT_FALSE(query.ok());
    EXPECT_NE(query.error().message.find("no redirect arrived"), std::string::npos);
}

TEST(RedirectListener, SilentOrBrokenClientsDoNotWin) {
    auto listener = RedirectListener::open("http://127.0.0.1:0/cb");
    ASSERT_TRUE(listener.ok());
    std::thread browser([port = listener->port()] {
        http_exchange(port, "POST /cb?code=x&state=y HTTP/1.1\r\n\r\n", 4096);
        http_exchange(port, "garbage\r\n\r\n", 4096);
        http_exchange(port, std::string(20000, 'A'), 4096);
        http_exchange(port, "GET /cb HTTP/1.1\r\n\r\n", 4096);
    });
    auto query = listener->wait(5s, page);
    browser.join();
    ASSERT_TRUE(query.ok());
    EXPECT_EQ(*query, "");
}

TEST(RedirectListener, RefusesRedirectUrisItCannotServe) {
    for (const char* uri :
         {"https://127.0.0.1:1/cb", "http://example.com:1/cb", "http://10.0.0.1/cb",
          "http://127.0.0.1:99999/cb", "http://127.0.0.1:1x/cb", "http://127.0.0.1:1/cb?x=1",
          "http://[::1/cb", "127.0.0.1:1/cb", ""}) {
        auto listener = RedirectListener::open(uri);
        ASSERT_FALSE(listener.ok()) << uri;
        EXPECT_NE(listener.error().message.find("redirect_uri"), std::string::npos) << uri;
    }
}

class InteractiveFlowTest : public ::testing::Test {
  protected:
    void SetUp() override {
        account_.name = "acme";
        account_.login = "*@example.com";
        account_.client_id = "app";
        account_.scopes = {"openid", "offline_access"};
        account_.token_endpoint = server_.url("/token");
        account_.authorization_endpoint = server_.url("/authorize");
        account_.device_authorization_endpoint = server_.url("/device");
        account_.redirect_uri = "http://127.0.0.1:0/callback";
        client_.account = &account_;
        client_.login = "bob";
        client_.identity = "bob@example.com";
        client_.connect_timeout = 1s;
        client_.request_timeout = 2s;
        io_.out = &out_;
        io_.redirect_timeout = 5s;
        io_.sleep = [this](std::chrono::seconds delay) { sleeps_.push_back(delay.count()); };
    }
    InteractiveEndpoints endpoints() { return plan_interactive_endpoints(account_).value(); }
    // What the flow printed once it waits for the redirect.
    std::string wait_for_prompt() {
        std::string printed;
        for (int i = 0; i < 500 && printed.find("Waiting") == std::string::npos; ++i) {
            std::this_thread::sleep_for(10ms);
            printed = text_.text();
        }
        return printed;
    }

    LoopbackHttpServer server_;
    config::AccountSettings account_;
    InteractiveClient client_;
    SharedText text_;
    std::ostream out_{&text_};
    FlowIo io_;
    std::vector<long> sleeps_;
};

TEST_F(InteractiveFlowTest, AuthorizationCodeWithPkce) {
    account_.flow = config::Flow::authorization_code;
    server_.push({200, R"({"access_token":"at","token_type":"Bearer","expires_in":60,)"
                       R"("refresh_token":"rt"})"});
    std::optional<Result<protocol::oauth::TokenGrant>> grant;
    std::thread flow([&] { grant.emplace(run_authorization_code(client_, endpoints(), io_)); });
    const std::string printed = wait_for_prompt();
    std::smatch match;
    const bool found =
        std::regex_search(printed, match, std::regex(R"((http://\S+/authorize\?\S+))"));
    if (!found) flow.join();
    ASSERT_TRUE(found) << printed;
    const std::string url = match[1];
    const std::string query = url.substr(url.find('?') + 1);
    auto value = [&](const char* name) {
        return protocol::oauth::query_value(query, name).value().value_or("");
    };
    EXPECT_EQ(value("code_challenge_method"), "S256");
    EXPECT_EQ(value("login_hint"), "bob@example.com");
    EXPECT_EQ(value("scope"), "openid offline_access");
    const std::string redirect = value("redirect_uri");
    const auto port = static_cast<std::uint16_t>(
        std::stoi(redirect.substr(redirect.rfind(':') + 1, redirect.rfind('/'))));
    // Stray or forged redirects (another state, none, an error without state) do not end it.
    for (const std::string stray : {"code=forged&state=other", "code=forged", "error=access_denied",
                                    "error=access_denied&state=x"}) {
        const std::string answer =
            http_exchange(port, "GET /callback?" + stray + " HTTP/1.1\r\n\r\n", 4096);
        EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << stray << answer;
        EXPECT_NE(answer.find("keeps waiting"), std::string::npos) << answer;
    }
    http_exchange(port, "GET /callback?code=the-code&state=" + value("state") + " HTTP/1.1\r\n\r\n",
                  4096);
    flow.join();
    ASSERT_TRUE(grant && grant->ok()) << (grant ? grant->error().message : "no result");
    EXPECT_EQ((*grant)->access_token.reveal(), "at");
    ASSERT_EQ(server_.requests(), 1);
    auto form = test::decode_form(server_.seen().at(0).body);
    EXPECT_EQ(form["grant_type"], "authorization_code");
    EXPECT_EQ(form["code"], "the-code");
    EXPECT_EQ(form["redirect_uri"], redirect);
    EXPECT_EQ(protocol::oauth::s256_challenge(form["code_verifier"]), value("code_challenge"));
    EXPECT_EQ(form["code_verifier"].size(), 43u);
    EXPECT_EQ(form.count("client_secret"), 0u);
}

TEST_F(InteractiveFlowTest, AuthorizationCodeRefusedExchangeIsReported) {
    account_.flow = config::Flow::authorization_code;
    server_.push(
        {400, R"({"error":"invalid_grant","error_description":"PKCE verification failed"})"});
    std::optional<Result<protocol::oauth::TokenGrant>> grant;
    std::thread flow([&] { grant.emplace(run_authorization_code(client_, endpoints(), io_)); });
    const std::string printed = wait_for_prompt();
    std::smatch port;
    std::smatch state;
    const bool found = std::regex_search(printed, port, std::regex(R"(127\.0\.0\.1%3A(\d+))")) &&
                       std::regex_search(printed, state, std::regex(R"(state=([^&\s]+))"));
    if (found)
        http_exchange(static_cast<std::uint16_t>(std::stoi(port[1])),
                      "GET /callback?code=c&state=" + state[1].str() + " HTTP/1.1\r\n\r\n", 4096);
    flow.join();
    ASSERT_TRUE(found) << printed;
    ASSERT_TRUE(grant && !grant->ok());
    EXPECT_NE(grant->error().message.find("invalid_grant"), std::string::npos);
    EXPECT_NE(grant->error().message.find("PKCE verification failed"), std::string::npos);
}

TEST_F(InteractiveFlowTest, DevicePollingHandlesPendingAndSlowDown) {
    account_.flow = config::Flow::device_code;
    server_.push({200, R"({"device_code":"dc","user_code":"ABCD-EFGH","verification_uri":)"
                       R"("https://idp/device","expires_in":600,"interval":2})"});
    server_.push({400, R"({"error":"authorization_pending"})"});
    server_.push({400, R"({"error":"slow_down"})"});
    server_.push({503, "busy"});
    server_.push({200, R"({"access_token":"at","token_type":"Bearer","refresh_token":"rt"})"});
    auto grant = run_device_code(client_, endpoints(), io_);
    ASSERT_TRUE(grant.ok()) << grant.error().message;
    EXPECT_EQ(grant->refresh_token->reveal(), "rt");
    EXPECT_EQ(sleeps_, (std::vector<long>{2, 2, 7, 7}));
    EXPECT_NE(text_.text().find("https://idp/device"), std::string::npos);
    EXPECT_NE(text_.text().find("ABCD-EFGH"), std::string::npos);
    auto seen = server_.seen();
    ASSERT_EQ(seen.size(), 5u);
    EXPECT_EQ(test::decode_form(seen[0].body)["scope"], "openid offline_access");
    EXPECT_EQ(test::decode_form(seen[1].body)["grant_type"],
              "urn:ietf:params:oauth:grant-type:device_code");
    EXPECT_EQ(test::decode_form(seen[1].body)["device_code"], "dc");
}

TEST_F(InteractiveFlowTest, DeviceDenialAndExpiryAreClearErrors) {
    account_.flow = config::Flow::device_code;
    const std::string start = R"({"device_code":"dc","user_code":"U","verification_uri":"v",)"
                              R"("expires_in":600})";
    server_.push({200, start});
    server_.push({400, R"({"error":"access_denied"})"});
    auto denied = run_device_code(client_, endpoints(), io_);
    ASSERT_FALSE(denied.ok());
    EXPECT_NE(denied.error().message.find("denied"), std::string::npos);
    EXPECT_EQ(sleeps_, (std::vector<long>{5}));  // no interval: 5 s
    server_.push({200, start});
    server_.push({400, R"({"error":"expired_token"})"});
    auto expired = run_device_code(client_, endpoints(), io_);
    ASSERT_FALSE(expired.ok());
    EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
    server_.push({401, R"({"error":"invalid_client"})"});
    auto refused = run_device_code(client_, endpoints(), io_);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("invalid_client"), std::string::npos);
}

TEST_F(InteractiveFlowTest, DiscoveryFillsMissingEndpoints) {
    account_.flow = config::Flow::device_code;
    account_.token_endpoint.clear();
    account_.device_authorization_endpoint.clear();
    account_.authorization_endpoint.clear();
    account_.issuer = server_.url("");
    server_.push({200, R"({"issuer":")" + server_.url("") + R"(","token_endpoint":")" +
                           server_.url("/t") + R"(","device_authorization_endpoint":")" +
                           server_.url("/d") + R"(","userinfo_endpoint":")" + server_.url("/u") +
                           R"("})"});
    auto resolved = resolve_interactive_endpoints(client_);
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_EQ(resolved->token, server_.url("/t"));
    EXPECT_EQ(resolved->device_authorization, server_.url("/d"));
    EXPECT_EQ(resolved->userinfo, server_.url("/u"));
    EXPECT_EQ(server_.seen().at(0).target, "/.well-known/openid-configuration");
    server_.push({200, R"({"issuer":")" + server_.url("") + R"(","token_endpoint":")" +
                           server_.url("/t") + R"("})"});
    auto incomplete = resolve_interactive_endpoints(client_);
    ASSERT_FALSE(incomplete.ok());
    EXPECT_NE(incomplete.error().message.find("device_authorization_endpoint"), std::string::npos);
}

TEST_F(InteractiveFlowTest, GrantIdentityFromIdTokenElseUserinfo) {
    auto endpoints = this->endpoints();
    protocol::oauth::TokenGrant grant;
    grant.access_token = Secret("new-at");
    auto jwt = [](const std::string& payload) {
        return Secret("e30." + protocol::oauth::base64url(payload) + ".sig");
    };
    // No id_token, no userinfo endpoint: nothing to check, the grant passes.
    EXPECT_TRUE(check_grant_identity(client_, endpoints, grant).ok());
    grant.id_token = jwt(R"({"aud":"app","email":"BOB@example.com"})");
    EXPECT_TRUE(check_grant_identity(client_, endpoints, grant).ok());
    grant.id_token = jwt(R"({"aud":"app","email":"eve@example.com"})");
    auto refused = check_grant_identity(client_, endpoints, grant);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("signed in eve@example.com, but this authorization is "
                                           "for bob@example.com"),
              std::string::npos)
        << refused.error().message;
    EXPECT_EQ(server_.requests(), 0);

    // The id_token names nobody: the userinfo endpoint is asked with the new access token.
    endpoints.userinfo = server_.url("/userinfo");
    grant.id_token = jwt(R"({"sub":"x"})");
    server_.push({200, R"({"sub":"x","preferred_username":"eve@example.com"})"});
    auto by_userinfo = check_grant_identity(client_, endpoints, grant);
    ASSERT_FALSE(by_userinfo.ok());
    EXPECT_NE(by_userinfo.error().message.find("signed in eve@example.com"), std::string::npos);
    ASSERT_EQ(server_.requests(), 1);
    EXPECT_EQ(server_.seen().at(0).method, "GET");
    EXPECT_EQ(server_.seen().at(0).headers.at("authorization"), "Bearer new-at");
    grant.id_token.reset();
    server_.push({200, R"({"sub":"x","email":"bob@example.com"})"});
    EXPECT_TRUE(check_grant_identity(client_, endpoints, grant).ok());
    // A userinfo endpoint that refuses leaves the identity unchecked, not the grant refused.
    server_.push({401, R"({"error":"invalid_token"})"});
    EXPECT_TRUE(check_grant_identity(client_, endpoints, grant).ok());
}

TEST(InteractiveEndpointsPlan, PresetsExplicitAndMissing) {
    config::AccountSettings account;
    account.name = "m";
    account.provider = config::Provider::microsoft;
    account.tenant = "contoso.com";
    account.flow = config::Flow::device_code;
    auto microsoft = plan_interactive_endpoints(account);
    ASSERT_TRUE(microsoft.ok());
    EXPECT_EQ(microsoft->device_authorization,
              "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/devicecode");
    EXPECT_TRUE(microsoft->discovery_url.empty());
    account.token_endpoint = "https://override.example/token";
    EXPECT_EQ(plan_interactive_endpoints(account)->token, "https://override.example/token");
    account.provider = config::Provider::generic;
    account.token_endpoint.clear();
    auto missing = plan_interactive_endpoints(account);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("device_authorization_endpoint"), std::string::npos);
    account.flow = config::Flow::authorization_code;
    account.authorization_endpoint = "http://evil.example/auth";
    account.token_endpoint = "https://ok.example/token";
    auto insecure = plan_interactive_endpoints(account);
    ASSERT_FALSE(insecure.ok());
    EXPECT_NE(insecure.error().message.find("authorization_endpoint"), std::string::npos);
}

}  // namespace
}  // namespace mb::oauth
