// Tests for the TokenManager against a real loopback token endpoint: caching, single flight,
// invalidation, retries, permanent errors, unreachable and slow servers, cancelled waiters,
// refresh ahead of expiry, the form sent, discovery, readiness state and the refresh observer.
#include "bridge/oauth/token_manager.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "tests/unit/bridge/oauth/loopback_http_server.h"

namespace mb::oauth {
namespace {

using namespace std::chrono_literals;
using test::LoopbackHttpServer;

std::string token_json(const std::string& token, int expires_in = 3600) {
    return R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":)" +
           std::to_string(expires_in) + "}";
}

class TokenManagerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        uv_loop_init(&loop_);
        config::AccountSettings account;
        account.name = "acme";
        account.login = "*@example.com";
        account.flow = config::Flow::client_credentials;
        account.client_id = "mail-app";
        account.client_secret.kind = config::SecretSource::Kind::literal;
        account.client_secret.literal = "s3cret&value";
        account.scopes = {"mail.imap", "mail.smtp"};
        account.token_endpoint = server_.url("/token");
        options_.accounts.push_back(account);
        options_.connect_timeout = 1s;
        options_.request_timeout = 2s;
        options_.retry.base_delay = 20ms;
        options_.retry.max_retries = 3;
        options_.failure_hold = 10s;
        server_.set_default({200, token_json("tok-1")});
    }
    void TearDown() override {
        manager_.reset();
        EXPECT_EQ(test::drain_and_close(&loop_), 0);
    }

    TokenManager& manager() {
        if (!manager_) manager_ = std::make_unique<TokenManager>(&loop_, options_);
        return *manager_;
    }

    // One get_token, run to completion.
    Result<AccessToken> get(const std::string& login = "alice@example.com",
                            const std::string& account = "acme") {
        std::optional<Result<AccessToken>> result;
        auto wait = manager().get_token(account, login,
                                        [&](const Result<AccessToken>& r) { result.emplace(r); });
        EXPECT_TRUE(test::run_until(&loop_, [&] { return result.has_value(); }));
        if (!result) return make_error("no answer");
        return *result;
    }

    uv_loop_t loop_;
    LoopbackHttpServer server_;
    TokenManagerOptions options_;
    std::unique_ptr<TokenManager> manager_;
};

TEST_F(TokenManagerTest, FirstGetFetchesAndSendsTheForm) {
    auto token = get();
    ASSERT_TRUE(token.ok()) << token.error().message;
    EXPECT_EQ(token->value.reveal(), "tok-1");
    EXPECT_GT(token->expires_at, std::chrono::steady_clock::now() + 3500s);
    ASSERT_EQ(server_.requests(), 1);
    auto seen = server_.seen().at(0);
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.target, "/token");
    EXPECT_EQ(seen.headers["content-type"], "application/x-www-form-urlencoded");
    auto form = test::decode_form(seen.body);
    EXPECT_EQ(form["grant_type"], "client_credentials");
    EXPECT_EQ(form["client_id"], "mail-app");
    EXPECT_EQ(form["client_secret"], "s3cret&value");
    EXPECT_EQ(form["scope"], "mail.imap mail.smtp");
    EXPECT_EQ(form.size(), 4u);
    EXPECT_EQ(seen.headers.count("authorization"), 0u);
}

TEST_F(TokenManagerTest, SecondGetUsesTheCacheWithoutReentrancy) {
    ASSERT_TRUE(get().ok());
    bool called = false;
    auto wait = manager().get_token("acme", "bob@example.com", [&](const Result<AccessToken>& r) {
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->value.reveal(), "tok-1");
        called = true;
    });
    EXPECT_FALSE(called);  // deferred to the loop, never inside get_token
    EXPECT_TRUE(wait.pending());
    EXPECT_TRUE(test::run_until(&loop_, [&] { return called; }));
    EXPECT_FALSE(wait.pending());
    EXPECT_EQ(server_.requests(), 1);
}

TEST_F(TokenManagerTest, FiftyConcurrentGetsMakeOneRequest) {
    server_.set_default({200, token_json("tok-shared"), {}, 100ms});
    int answered = 0;
    std::vector<TokenWait> waits;
    for (int i = 0; i < 50; ++i)
        waits.push_back(manager().get_token("acme", "user" + std::to_string(i) + "@example.com",
                                            [&](const Result<AccessToken>& r) {
                                                EXPECT_TRUE(r.ok());
                                                if (r.ok()) {
                                                    EXPECT_EQ(r->value.reveal(), "tok-shared");
                                                }
                                                ++answered;
                                            }));
    EXPECT_TRUE(test::run_until(&loop_, [&] { return answered == 50; }));
    EXPECT_EQ(server_.requests(), 1);
}

TEST_F(TokenManagerTest, InvalidateThenGetFetchesOnce) {
    server_.push({200, token_json("tok-1")});
    server_.push({200, token_json("tok-2")});
    auto first = get();
    ASSERT_TRUE(first.ok());
    // A stale token (not the cached one) changes nothing.
    manager().invalidate("acme", "alice@example.com", Secret("tok-old"));
    EXPECT_EQ(get()->value.reveal(), "tok-1");
    EXPECT_EQ(server_.requests(), 1);
    manager().invalidate("acme", "carol@example.com", first->value);
    auto second = get();
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->value.reveal(), "tok-2");
    EXPECT_EQ(server_.requests(), 2);
    EXPECT_EQ(get()->value.reveal(), "tok-2");
    EXPECT_EQ(server_.requests(), 2);
}

TEST_F(TokenManagerTest, ServerErrorIsRetried) {
    server_.push({503, "overloaded"});
    server_.push({500, R"({"error":"server_error"})"});
    server_.push({200, token_json("tok-after-retry")});
    std::vector<RefreshResult> results;
    manager().set_refresh_observer([&](std::string_view account, RefreshResult result) {
        EXPECT_EQ(account, "acme");
        results.push_back(result);
    });
    auto token = get();
    ASSERT_TRUE(token.ok()) << token.error().message;
    EXPECT_EQ(token->value.reveal(), "tok-after-retry");
    EXPECT_EQ(server_.requests(), 3);
    EXPECT_EQ(results, std::vector<RefreshResult>{RefreshResult::success});
    auto status = manager().status();
    ASSERT_EQ(status.size(), 1u);
    EXPECT_EQ(status[0].state, TokenState::valid);
    EXPECT_EQ(status[0].refreshes_success, 1u);
    EXPECT_TRUE(status[0].last_error.empty());
}

TEST_F(TokenManagerTest, RetriesAreBoundedAndRetryAfterHonoured) {
    server_.set_default({503, "", {"Retry-After: 1"}});
    auto started = std::chrono::steady_clock::now();
    auto token = get();
    auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(server_.requests(), 4);  // the first attempt and 3 retries
    EXPECT_GE(took, 3s);               // each retry waited the server's 1 s
    EXPECT_NE(token.error().message.find("HTTP 503"), std::string::npos);
    EXPECT_NE(token.error().message.find("gave up after 4 attempts"), std::string::npos);
    EXPECT_EQ(manager().status().at(0).refreshes_transient_error, 1u);
}

TEST_F(TokenManagerTest, InvalidClientIsReportedAtOnceWithoutRetries) {
    server_.set_default(
        {400, R"({"error":"invalid_client","error_description":"bad secret for app"})"});
    std::vector<RefreshResult> results;
    manager().set_refresh_observer(
        [&](std::string_view, RefreshResult r) { results.push_back(r); });
    auto token = get();
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.error().message,
              "token endpoint refused the client credentials: invalid_client (bad secret for "
              "app) — check client_id and client_secret");
    EXPECT_EQ(server_.requests(), 1);
    // Sessions arriving meanwhile get the same answer without a request storm.
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(get().ok());
    EXPECT_EQ(server_.requests(), 1);
    EXPECT_EQ(results, std::vector<RefreshResult>{RefreshResult::permanent_error});
    auto status = manager().status().at(0);
    EXPECT_EQ(status.state, TokenState::failing);
    EXPECT_EQ(status.refreshes_permanent_error, 1u);
    EXPECT_NE(status.last_error.find("invalid_client"), std::string::npos);
}

TEST_F(TokenManagerTest, FailureHoldEnds) {
    options_.failure_hold = 100ms;
    server_.push({401, R"({"error":"invalid_client"})"});
    EXPECT_FALSE(get().ok());
    test::run_for(&loop_, 150ms);
    EXPECT_TRUE(get().ok());
    EXPECT_EQ(server_.requests(), 2);
}

TEST_F(TokenManagerTest, UnreachableEndpointSaysWhatToCheck) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/token";
    options_.accounts[0].token_endpoint = url;
    auto token = get();
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.error().message, "token endpoint " + url +
                                         " unreachable: connection refused — check "
                                         "token_endpoint and the network (gave up after 4 "
                                         "attempts)");
}

TEST_F(TokenManagerTest, SlowEndpointTimesOut) {
    options_.request_timeout = 300ms;
    options_.retry.max_retries = 0;
    server_.set_default({200, token_json("late"), {}, 2s});
    auto started = std::chrono::steady_clock::now();
    auto token = get();
    ASSERT_FALSE(token.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
    EXPECT_NE(token.error().message.find("did not answer in time: no answer within 0.3 s"),
              std::string::npos)
        << token.error().message;
}

TEST_F(TokenManagerTest, CancelledWaiterIsNeverCalled) {
    server_.set_default({200, token_json("tok-late"), {}, 100ms});
    auto gone = std::make_unique<int>(0);
    int* gone_counter = gone.get();
    bool other_called = false;
    {
        auto wait =
            manager().get_token("acme", "a@example.com",
                                [gone_counter](const Result<AccessToken>&) { ++*gone_counter; });
        auto other = manager().get_token("acme", "b@example.com",
                                         [&](const Result<AccessToken>&) { other_called = true; });
        EXPECT_TRUE(test::run_until(&loop_, [&] { return server_.requests() == 1; }));
        wait.cancel();
        EXPECT_FALSE(wait.pending());
        gone.reset();  // freed: a late callback would be a use-after-free under ASan
        EXPECT_TRUE(test::run_until(&loop_, [&] { return other_called; }));
    }
    // A cached answer is deferred too; dropping the handle before the loop turns cancels it.
    bool cached_called = false;
    {
        auto wait = manager().get_token("acme", "c@example.com",
                                        [&](const Result<AccessToken>&) { cached_called = true; });
    }
    test::run_for(&loop_, 50ms);
    EXPECT_FALSE(cached_called);
}

TEST_F(TokenManagerTest, DestroyingTheManagerDropsWaiters) {
    server_.set_default({200, token_json("tok"), {}, 100ms});
    bool called = false;
    auto wait = manager().get_token("acme", "a@example.com",
                                    [&](const Result<AccessToken>&) { called = true; });
    EXPECT_TRUE(test::run_until(&loop_, [&] { return server_.requests() == 1; }));
    manager_.reset();
    EXPECT_FALSE(wait.pending());
    test::run_for(&loop_, 200ms);
    EXPECT_FALSE(called);
}

TEST_F(TokenManagerTest, CallbackMayCallBackIntoTheManager) {
    bool second = false;
    TokenWait inner;
    auto outer = manager().get_token("acme", "a@example.com", [&](const Result<AccessToken>& r) {
        ASSERT_TRUE(r.ok());
        manager().invalidate("acme", "a@example.com", r->value);
        inner = manager().get_token("acme", "a@example.com", [&](const Result<AccessToken>& again) {
            EXPECT_TRUE(again.ok());
            second = true;
        });
    });
    EXPECT_TRUE(test::run_until(&loop_, [&] { return second; }));
    EXPECT_EQ(server_.requests(), 2);
}

TEST_F(TokenManagerTest, RefreshesAheadOfExpiry) {
    server_.push({200, token_json("short-1", 2)});
    server_.push({200, token_json("short-2", 3600)});
    auto first = get();
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->value.reveal(), "short-1");
    auto fetched = std::chrono::steady_clock::now();
    // Refresh at max(min(80%, life-5min), 50%, 1 s) = 1 s after the fetch, before expiry at 2 s.
    EXPECT_TRUE(test::run_until(
        &loop_, [&] { return server_.requests() == 2; }, 3s));
    EXPECT_LT(std::chrono::steady_clock::now() - fetched, 1900ms);
    EXPECT_TRUE(
        test::run_until(&loop_, [&] { return manager().status().at(0).refreshes_success == 2; }));
    auto second = get();
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->value.reveal(), "short-2");
    EXPECT_EQ(server_.requests(), 2);
}

TEST_F(TokenManagerTest, UnusedTokenIsNotRefreshed) {
    server_.set_default({200, token_json("short", 2), {}, 100ms});
    std::optional<Result<AccessToken>> result;
    // The waiter is cancelled before the token arrives, so nobody used it.
    {
        auto wait = manager().get_token("acme", "a@example.com",
                                        [&](const Result<AccessToken>& r) { result.emplace(r); });
        EXPECT_TRUE(test::run_until(&loop_, [&] { return server_.requests() == 1; }));
    }
    test::run_for(&loop_, 1500ms);
    EXPECT_EQ(server_.requests(), 1);
    EXPECT_FALSE(result.has_value());
}

TEST_F(TokenManagerTest, UnusableGrantIsAPermanentError) {
    server_.set_default({200, R"({"access_token":"x","token_type":"MAC"})"});
    auto token = get();
    ASSERT_FALSE(token.ok());
    EXPECT_NE(token.error().message.find("sent an unusable answer"), std::string::npos);
    EXPECT_EQ(token.error().message.find("\"x\""), std::string::npos);
    EXPECT_EQ(server_.requests(), 1);
}

TEST_F(TokenManagerTest, OtherFlowsNeedAuthorization) {
    options_.accounts[0].flow = config::Flow::device_code;
    auto token = get("bob@example.com");
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.error().message,
              "authorization required — run mailbridge auth acme --login bob@example.com");
    EXPECT_EQ(server_.requests(), 0);
    auto status = manager().status();
    ASSERT_EQ(status.size(), 1u);
    EXPECT_EQ(status[0].login, "bob@example.com");
    EXPECT_EQ(status[0].state, TokenState::needs_authorization);
}

TEST_F(TokenManagerTest, UnknownAccountAndPasswordAccount) {
    auto unknown = get("a@example.com", "nobody");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("no account named \"nobody\""), std::string::npos);
    options_.accounts[0].auth = config::AccountAuth::password;
    manager_.reset();
    EXPECT_NE(get().error().message.find("password authentication"), std::string::npos);
}

TEST_F(TokenManagerTest, SecretResolutionFailureIsReported) {
    options_.accounts[0].client_secret.kind = config::SecretSource::Kind::env;
    options_.accounts[0].client_secret.env_name = "MB_TEST_UNSET_SECRET_VARIABLE";
    ::unsetenv("MB_TEST_UNSET_SECRET_VARIABLE");
    auto token = get();
    ASSERT_FALSE(token.ok());
    EXPECT_NE(token.error().message.find("account acme: cannot read client_secret"),
              std::string::npos);
    EXPECT_EQ(server_.requests(), 0);
}

TEST_F(TokenManagerTest, SecretIsResolvedOnceOffTheLoop) {
    int resolved = 0;
    auto loop_thread = std::this_thread::get_id();
    options_.resolve_secret = [&](const config::SecretSource&) -> Result<Secret> {
        EXPECT_NE(std::this_thread::get_id(), loop_thread);
        ++resolved;
        return Secret("from-resolver");
    };
    options_.failure_hold = 0ms;
    ASSERT_TRUE(get().ok());
    manager().invalidate("acme", "", Secret("tok-1"));
    ASSERT_TRUE(get().ok());
    EXPECT_EQ(resolved, 1);
    EXPECT_EQ(test::decode_form(server_.seen().at(1).body)["client_secret"], "from-resolver");
}

TEST_F(TokenManagerTest, MissingClientSecret) {
    options_.accounts[0].client_secret = {};
    auto token = get();
    ASSERT_FALSE(token.ok());
    EXPECT_NE(token.error().message.find("needs client_secret"), std::string::npos);
}

TEST_F(TokenManagerTest, DiscoveryFindsTheTokenEndpoint) {
    auto& account = options_.accounts[0];
    account.token_endpoint.clear();
    account.issuer = server_.url("");
    server_.push({200, R"({"issuer":")" + account.issuer + R"(","token_endpoint":")" +
                           server_.url("/discovered/token") + R"("})"});
    server_.set_default({200, token_json("tok-d")});
    auto token = get();
    ASSERT_TRUE(token.ok()) << token.error().message;
    auto seen = server_.seen();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].method, "GET");
    EXPECT_EQ(seen[0].target, "/.well-known/openid-configuration");
    EXPECT_EQ(seen[1].target, "/discovered/token");
}

TEST_F(TokenManagerTest, DiscoveryWithTheWrongIssuerFails) {
    auto& account = options_.accounts[0];
    account.token_endpoint.clear();
    account.issuer = server_.url("");
    server_.push(
        {200, R"({"issuer":"https://evil.example","token_endpoint":"https://evil.example/t"})"});
    auto token = get();
    ASSERT_FALSE(token.ok());
    EXPECT_NE(token.error().message.find("not the configured"), std::string::npos);
    EXPECT_EQ(server_.requests(), 1);
}

TEST_F(TokenManagerTest, RequestGoesThroughTheServersProxy) {
    // The loopback server plays the proxy; the token endpoint host is unreachable directly.
    server_.set_default({403, "{}"});
    options_.accounts[0].token_endpoint = "http://127.0.0.1:9/token";
    config::ProxySettings proxy;
    proxy.name = "corp";
    proxy.url = server_.url("");
    proxy.auth = config::ProxyAuth::basic;
    proxy.username = "u";
    proxy.password.kind = config::SecretSource::Kind::literal;
    proxy.password.literal = "pw";
    options_.proxies.push_back(proxy);
    std::optional<Result<AccessToken>> result;
    auto wait = manager().get_token(
        "acme", "a@example.com", [&](const Result<AccessToken>& r) { result.emplace(r); }, "corp");
    ASSERT_TRUE(test::run_until(&loop_, [&] { return result.has_value(); }));
    // The stand-in proxy does not relay the tunnel: only its CONNECT with credentials is checked.
    auto seen = server_.seen().at(0);
    EXPECT_EQ(seen.method, "CONNECT");
    EXPECT_EQ(seen.target, "127.0.0.1:9");
    EXPECT_EQ(seen.headers["proxy-authorization"], "Basic dTpwdw==");
}

TEST_F(TokenManagerTest, UnknownProxyIsAConfigurationError) {
    options_.accounts[0].proxy = "missing";
    auto token = get();
    ASSERT_FALSE(token.ok());
    EXPECT_NE(token.error().message.find("proxy \"missing\" is not configured"), std::string::npos);
}

TEST_F(TokenManagerTest, StatusBeforeAnyRequestIsEmpty) {
    EXPECT_TRUE(manager().status().empty());
}

TEST_F(TokenManagerTest, ReloadKeepsTheTokenOfAnUnchangedAccount) {
    server_.push({200, token_json("tok-kept")});
    ASSERT_TRUE(get().ok());
    manager().reconfigure(options_.accounts, options_.proxies);
    auto again = get();
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->value.reveal(), "tok-kept");
    EXPECT_EQ(server_.requests(), 1);
}

TEST_F(TokenManagerTest, ReloadDropsTheTokenOfAChangedAccount) {
    server_.push({200, token_json("tok-old-client")});
    server_.push({200, token_json("tok-new-client")});
    ASSERT_TRUE(get().ok());
    auto accounts = options_.accounts;
    accounts[0].client_id = "mail-app-2";
    manager().reconfigure(accounts, options_.proxies);
    auto again = get();
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->value.reveal(), "tok-new-client");
    ASSERT_EQ(server_.requests(), 2);
    EXPECT_EQ(test::decode_form(server_.seen().at(1).body)["client_id"], "mail-app-2");
}

TEST_F(TokenManagerTest, ReloadWithANewClientSecretSendsTheNewSecret) {
    server_.push({200, token_json("tok-old-secret")});
    server_.push({200, token_json("tok-new-secret")});
    ASSERT_TRUE(get().ok());
    auto accounts = options_.accounts;
    accounts[0].client_secret.literal = "rotated-secret";
    manager().reconfigure(accounts, options_.proxies);
    ASSERT_TRUE(get().ok());
    ASSERT_EQ(server_.requests(), 2);
    EXPECT_EQ(test::decode_form(server_.seen().at(1).body)["client_secret"], "rotated-secret");
}

TEST_F(TokenManagerTest, ReloadRemovingAnAccountAnswersItsWaitersAndForgetsIt) {
    server_.set_default({200, token_json("tok-slow"), {}, 300ms});
    std::optional<Result<AccessToken>> during;
    auto wait = manager().get_token("acme", "a@example.com",
                                    [&](const Result<AccessToken>& r) { during.emplace(r); });
    EXPECT_TRUE(test::run_until(&loop_, [&] { return server_.requests() == 1; }));
    manager().reconfigure({}, {});
    EXPECT_TRUE(test::run_until(&loop_, [&] { return during.has_value(); }));
    ASSERT_FALSE(during->ok());
    EXPECT_NE(during->error().message.find("changed by a configuration reload"), std::string::npos)
        << during->error().message;
    test::run_for(&loop_, 400ms);  // the abandoned answer arrives into nothing
    EXPECT_TRUE(manager().status().empty());
    auto after = get();
    ASSERT_FALSE(after.ok());
    EXPECT_NE(after.error().message.find("no account named \"acme\""), std::string::npos);
    // A second reload frees what the first one retired.
    manager().reconfigure({}, {});
}

}  // namespace
}  // namespace mb::oauth
