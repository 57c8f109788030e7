// AuthorizationPages and AuthorizationRunner without a provider: the refusals of /auth/ACCOUNT
// (unknown account, no interactive flow, no login, another site's page, no admin token, too many
// flows), the prompt shown only to the admin, framing headers, HTML escaping, and a flow that
// waits for the user being cancelled promptly when the runner goes away.
#include "bridge/daemon/authorization_pages.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "../net/loop_fixture.h"
#include "protocol/oauth/authorization_request.h"

namespace mb::daemon {
namespace {

using namespace std::chrono_literals;

class AuthorizationPagesTest : public net::testing::LoopTest {
  protected:
    void SetUp() override {
        LoopTest::SetUp();
        state_dir_ = std::filesystem::temp_directory_path() /
                     ("mb-authpages-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(state_dir_);
        std::filesystem::create_directories(state_dir_);
        std::filesystem::permissions(state_dir_, std::filesystem::perms::owner_all);
        auto config = std::make_shared<config::Config>();
        config->daemon.state_dir = state_dir_;
        config->daemon.connect_timeout = 2;
        config::AccountSettings code;
        code.name = "alice";
        code.login = "*@example.com";
        code.flow = config::Flow::authorization_code;
        code.client_id = "native";
        code.authorization_endpoint = "http://127.0.0.1:1/authorize";
        code.token_endpoint = "http://127.0.0.1:1/token";
        code.redirect_uri = "http://127.0.0.1:0/callback";
        config->accounts.push_back(code);
        config::AccountSettings robot;
        robot.name = "robot";
        robot.login = "robot@example.com";
        robot.flow = config::Flow::client_credentials;
        config->accounts.push_back(robot);
        config_ = config;
        runner_ = std::make_unique<oauth::AuthorizationRunner>(
            &loop_, [this](const std::string&, const std::string&) { ++authorized_; });
        admin_.set_token(Secret("s3cret"));
        pages_ = std::make_unique<AuthorizationPages>([this] { return config_; }, *runner_, admin_);
    }
    void TearDown() override {
        pages_.reset();
        runner_.reset();
        LoopTest::TearDown();
        std::filesystem::remove_all(state_dir_);
    }

    health::HttpResponse ask(std::string method, std::string target,
                             std::vector<protocol::http::Header> headers = {},
                             std::string host = "127.0.0.1:8025") {
        protocol::http::Request request;
        request.method = std::move(method);
        request.target = std::move(target);
        request.version = "HTTP/1.1";
        request.headers = std::move(headers);
        request.headers.push_back({"Host", std::move(host)});
        return pages_->answer(request, hosts_);
    }
    static std::optional<std::string> header(const health::HttpResponse& response,
                                             const std::string& name) {
        for (const auto& [key, value] : response.headers)
            if (key == name) return value;
        return std::nullopt;
    }
    // Polls until the flow of `login` waits for the user (or 10 s pass).
    std::optional<oauth::AuthorizationState> waiting(const std::string& login) {
        std::optional<oauth::AuthorizationState> state;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            state = runner_->state("alice", login);
            if (state && state->phase != oauth::AuthorizationState::Phase::starting) break;
            std::this_thread::sleep_for(20ms);
        }
        return state;
    }

    const protocol::http::Header admin_header_{"Authorization", "Bearer s3cret"};
    health::AdminAccess admin_;
    health::AllowedHosts hosts_{"127.0.0.1", 8025};
    std::filesystem::path state_dir_;
    std::shared_ptr<const config::Config> config_;
    std::unique_ptr<oauth::AuthorizationRunner> runner_;
    std::unique_ptr<AuthorizationPages> pages_;
    int authorized_ = 0;
};

TEST_F(AuthorizationPagesTest, RefusesWhatCannotBeAuthorizedWithReasons) {
    auto unknown = ask("POST", "/auth/nosuch?format=json");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(nlohmann::json::parse(unknown.body)["error"],
              "no account named \"nosuch\" is configured");
    EXPECT_EQ(ask("GET", "/auth/").status, 404);
    EXPECT_EQ(ask("GET", "/auth/alice/extra").status, 404);

    auto robot = ask("POST", "/auth/robot");
    EXPECT_EQ(robot.status, 409);
    EXPECT_NE(robot.body.find("needs no interactive authorization"), std::string::npos);

    auto no_login = ask("POST", "/auth/alice");
    EXPECT_EQ(no_login.status, 400);
    EXPECT_NE(no_login.body.find("?login=USER"), std::string::npos) << no_login.body;
    auto stranger = ask("GET", "/auth/alice?login=eve%40elsewhere.org");
    EXPECT_EQ(stranger.status, 400);
    EXPECT_NE(stranger.body.find("does not match account alice"), std::string::npos);
    EXPECT_EQ(ask("GET", "/auth/alice?login=%zz").status, 400);

    auto forged = ask("POST", "/auth/alice?login=bob%40example.com",
                      {{"Origin", "http://evil.example"}, admin_header_});
    EXPECT_EQ(forged.status, 403);
    auto sandboxed =
        ask("POST", "/auth/alice?login=bob%40example.com", {{"Origin", "null"}, admin_header_});
    EXPECT_EQ(sandboxed.status, 403);
    // DNS rebinding: the page's own name in Host and Origin alike is still another site.
    auto rebound =
        ask("POST", "/auth/alice?login=bob%40example.com",
            {{"Origin", "http://evil.example:8025"}, admin_header_}, "evil.example:8025");
    EXPECT_EQ(rebound.status, 403);
    EXPECT_FALSE(runner_->state("alice", "bob@example.com"));
}

TEST_F(AuthorizationPagesTest, PageEscapesWhatItShows) {
    auto page = ask("GET", "/auth/alice?login=%3Cscript%3E%40example.com");
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(page.body.find("<script>"), std::string::npos);
    EXPECT_NE(page.body.find("&lt;script&gt;@example.com"), std::string::npos);
    EXPECT_NE(page.body.find("action=\"/auth/alice?login=%3Cscript%3E%40example.com\""),
              std::string::npos)
        << page.body;
    auto json = ask("GET", "/auth/alice?login=bob%40example.com", {{"Accept", "application/json"}});
    EXPECT_EQ(
        nlohmann::json::parse(json.body),
        (nlohmann::json{{"account", "alice"}, {"login", "bob@example.com"}, {"phase", "none"}}));
}

TEST_F(AuthorizationPagesTest, PostNeedsTheAdminToken) {
    for (auto headers :
         std::vector<std::vector<protocol::http::Header>>{{},
                                                          {{"Authorization", "Bearer wrong"}},
                                                          {{"Authorization", "Bearer s3cre"}},
                                                          {{"Authorization", "Basic czNjcmV0"}},
                                                          {{"Authorization", "Bearer "}}}) {
        auto refused = ask("POST", "/auth/alice?login=bob%40example.com", headers);
        EXPECT_EQ(refused.status, 401);
        EXPECT_EQ(header(refused, "WWW-Authenticate").value_or("").rfind("Bearer", 0), 0u);
        EXPECT_EQ(refused.body.find("s3cret"), std::string::npos);
    }
    admin_.set_token(std::nullopt);
    auto unset = ask("POST", "/auth/alice?login=bob%40example.com", {admin_header_});
    EXPECT_EQ(unset.status, 401);
    EXPECT_NE(unset.body.find("admin_token is not set"), std::string::npos) << unset.body;
    EXPECT_FALSE(runner_->state("alice", "bob@example.com"));
}

TEST_F(AuthorizationPagesTest, PromptOnlyForTheAdminAndNoFraming) {
    auto started = ask("POST", "/auth/alice?login=bob%40example.com",
                       {{"Origin", "http://localhost:8025"}, admin_header_});
    EXPECT_EQ(started.status, 303);
    auto state = waiting("bob@example.com");
    ASSERT_TRUE(state);
    ASSERT_EQ(state->phase, oauth::AuthorizationState::Phase::waiting_for_user) << state->message;
    const std::string oauth_state =
        protocol::oauth::query_value(state->prompt.url.substr(state->prompt.url.find('?') + 1),
                                     "state")
            .value()
            .value();
    auto anonymous_json =
        ask("GET", "/auth/alice?login=bob%40example.com", {{"Accept", "application/json"}});
    EXPECT_EQ(nlohmann::json::parse(anonymous_json.body),
              (nlohmann::json{{"account", "alice"},
                              {"login", "bob@example.com"},
                              {"phase", "waiting_for_user"},
                              {"flow", "authorization_code"}}));
    auto anonymous_html = ask("GET", "/auth/alice?login=bob%40example.com");
    EXPECT_EQ(anonymous_html.body.find(oauth_state), std::string::npos);
    EXPECT_EQ(anonymous_html.body.find("/authorize?"), std::string::npos);
    auto admin_json = ask("GET", "/auth/alice?login=bob%40example.com",
                          {{"Accept", "application/json"}, admin_header_});
    EXPECT_EQ(nlohmann::json::parse(admin_json.body)["url"], state->prompt.url);
    for (const auto& answer : {anonymous_json, anonymous_html, admin_json, started}) {
        EXPECT_NE(
            header(answer, "Content-Security-Policy").value_or("").find("frame-ancestors 'none'"),
            std::string::npos);
        EXPECT_EQ(header(answer, "X-Frame-Options"), "DENY");
    }
}

TEST_F(AuthorizationPagesTest, AtMostFourFlowsAtOnce) {
    // One after the other: flows opening a fresh token store at the same moment race on its
    // key file (a store matter, outside these pages).
    for (int i = 1; i <= 4; ++i) {
        const std::string login = "u" + std::to_string(i) + "@example.com";
        EXPECT_EQ(ask("POST", "/auth/alice?login=u" + std::to_string(i) + "%40example.com",
                      {admin_header_})
                      .status,
                  303);
        auto state = waiting(login);
        ASSERT_TRUE(state);
        ASSERT_EQ(state->phase, oauth::AuthorizationState::Phase::waiting_for_user)
            << state->message;
    }
    auto refused = ask("POST", "/auth/alice?login=u5%40example.com",
                       {admin_header_, {"Accept", "application/json"}});
    EXPECT_EQ(refused.status, 429);
    EXPECT_TRUE(header(refused, "Retry-After"));
    EXPECT_NE(refused.body.find("4 authorizations are under way"), std::string::npos)
        << refused.body;
    EXPECT_FALSE(runner_->state("alice", "u5@example.com"));
    // One already under way is shown again, not refused.
    EXPECT_EQ(ask("POST", "/auth/alice?login=u1%40example.com", {admin_header_}).status, 303);
}

TEST_F(AuthorizationPagesTest, StartsOneFlowPerLoginAndCancelsItWhenTheRunnerGoes) {
    auto started = ask("POST", "/auth/alice?login=bob%40example.com",
                       {{"Origin", "http://127.0.0.1:8025"}, admin_header_});
    EXPECT_EQ(started.status, 303);
    ASSERT_FALSE(started.headers.empty());
    EXPECT_EQ(header(started, "Location"), "/auth/alice?login=bob%40example.com");

    std::optional<oauth::AuthorizationState> state;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        state = runner_->state("alice", "bob@example.com");
        if (state && state->phase != oauth::AuthorizationState::Phase::starting) break;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(state);
    ASSERT_EQ(state->phase, oauth::AuthorizationState::Phase::waiting_for_user) << state->message;
    EXPECT_EQ(state->prompt.url.rfind("http://127.0.0.1:1/authorize?", 0), 0u);
    EXPECT_NE(state->prompt.url.find("code_challenge_method=S256"), std::string::npos);

    auto again = ask("POST", "/auth/alice?login=bob%40example.com",
                     {{"Accept", "application/json"}, admin_header_});
    EXPECT_EQ(again.status, 202);
    EXPECT_EQ(nlohmann::json::parse(again.body)["url"], state->prompt.url);
    auto page = ask("GET", "/auth/alice?login=bob%40example.com");
    EXPECT_NE(page.body.find("http-equiv=\"refresh\""), std::string::npos);

    const auto before = std::chrono::steady_clock::now();
    pages_.reset();
    runner_.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
    EXPECT_EQ(authorized_, 0);
}

}  // namespace
}  // namespace mb::daemon
