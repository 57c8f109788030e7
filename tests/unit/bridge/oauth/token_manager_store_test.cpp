// Tests for the TokenManager with a token store: tokens loaded at start, every new token saved
// before use, the refresh_token grant with rotation, invalid_grant → needs_authorization for one
// login only, and a new authorization written by `mailbridge auth` picked up by the daemon.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <optional>

#include "bridge/log/log.h"
#include "bridge/oauth/token_manager.h"
#include "store/token_store.h"
#include "tests/unit/bridge/oauth/loopback_http_server.h"

namespace mb::oauth {
namespace {

using namespace std::chrono_literals;
using SystemClock = std::chrono::system_clock;
using test::LoopbackHttpServer;

std::string grant_json(const std::string& access, const std::string& refresh = "",
                       int expires_in = 3600) {
    std::string json = R"({"access_token":")" + access +
                       R"(","token_type":"Bearer","expires_in":)" + std::to_string(expires_in);
    if (!refresh.empty()) json += R"(,"refresh_token":")" + refresh + "\"";
    return json + "}";
}

class TokenManagerStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "mb-tm-XXXXXX").string();
        state_dir_ = ::mkdtemp(pattern.data());
        uv_loop_init(&loop_);
        config::AccountSettings user;
        user.name = "acme";
        user.login = "*@example.com";
        user.flow = config::Flow::authorization_code;
        user.client_id = "native-app";
        user.token_endpoint = server_.url("/token");
        options_.accounts.push_back(user);
        config::AccountSettings shared = user;
        shared.name = "corp";
        shared.flow = config::Flow::client_credentials;
        shared.client_secret.kind = config::SecretSource::Kind::literal;
        shared.client_secret.literal = "s3cret";
        options_.accounts.push_back(shared);
        options_.connect_timeout = 1s;
        options_.request_timeout = 2s;
        options_.retry.base_delay = 20ms;
        options_.state_dir = state_dir_;
    }
    void TearDown() override {
        manager_.reset();
        EXPECT_EQ(test::drain_and_close(&loop_), 0);
        std::error_code ec;
        std::filesystem::remove_all(state_dir_, ec);
    }

    TokenManager& manager() {
        if (!manager_) manager_ = std::make_unique<TokenManager>(&loop_, options_);
        return *manager_;
    }
    void restart() {
        manager_.reset();
        test::run_for(&loop_, 50ms);
    }

    Result<AccessToken> get(const std::string& login, const std::string& account = "acme") {
        std::optional<Result<AccessToken>> result;
        auto wait = manager().get_token(account, login,
                                        [&](const Result<AccessToken>& r) { result.emplace(r); });
        EXPECT_TRUE(test::run_until(&loop_, [&] { return result.has_value(); }));
        if (!result) return make_error("no answer");
        return *result;
    }

    store::TokenStore store() {
        return store::TokenStore::open_in(state_dir_, std::nullopt).value();
    }
    // What `mailbridge auth` leaves behind.
    void authorize(const std::string& login, const std::string& access, const std::string& refresh,
                   std::chrono::seconds valid_for) {
        store::StoredToken row;
        row.account = "acme";
        row.login = login;
        row.access_token = Secret(access);
        row.refresh_token = Secret(refresh);
        row.obtained_at = SystemClock::now();
        row.expires_at = row.obtained_at + valid_for;
        ASSERT_TRUE(store().put(row).ok());
    }
    std::optional<TokenStatus> status_of(const std::string& login) {
        for (auto& s : manager().status())
            if (s.login == login) return s;
        return std::nullopt;
    }

    std::filesystem::path state_dir_;
    uv_loop_t loop_;
    LoopbackHttpServer server_;
    TokenManagerOptions options_;
    std::unique_ptr<TokenManager> manager_;
};

TEST_F(TokenManagerStoreTest, StoredTokenServesWithoutAnyRequest) {
    authorize("bob@example.com", "stored-access", "stored-refresh", 3600s);
    auto token = get("bob@example.com");
    ASSERT_TRUE(token.ok()) << token.error().message;
    EXPECT_EQ(token->value.reveal(), "stored-access");
    EXPECT_EQ(server_.requests(), 0);
    EXPECT_EQ(status_of("bob@example.com")->state, TokenState::valid);
}

TEST_F(TokenManagerStoreTest, ExpiredTokenIsRefreshedAndTheRotatedTokenSavedFirst) {
    authorize("bob@example.com", "old-access", "refresh-1", 0s);
    server_.push({200, grant_json("new-access", "refresh-2")});
    auto token = get("bob@example.com");
    ASSERT_TRUE(token.ok()) << token.error().message;
    EXPECT_EQ(token->value.reveal(), "new-access");
    ASSERT_EQ(server_.requests(), 1);
    const auto body = server_.seen().at(0).body;
    EXPECT_EQ(body, "grant_type=refresh_token&refresh_token=refresh-1&client_id=native-app");
    auto row = store().get("acme", "bob@example.com").value();
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->access_token.reveal(), "new-access");
    EXPECT_EQ(row->refresh_token.reveal(), "refresh-2");
    EXPECT_EQ(status_of("bob@example.com")->refreshes_success, 1u);
}

// The log masks live tokens only: a rotated-out refresh token (or a replaced access token) is not
// kept, so the mask does not grow with every refresh.
TEST_F(TokenManagerStoreTest, RotatedOutTokensAreNotKeptForMasking) {
    authorize("bob@example.com", "old-access", "refresh-0", 0s);
    server_.push({200, grant_json("access-1", "refresh-1")});
    auto first = get("bob@example.com");
    ASSERT_TRUE(first.ok()) << first.error().message;
    const auto after_first = log::registered_secrets();
    std::string current = first->value.reveal();
    for (int i = 2; i <= 21; ++i) {
        server_.push(
            {200, grant_json("access-" + std::to_string(i), "refresh-" + std::to_string(i))});
        manager().invalidate("acme", "bob@example.com", Secret(current));
        auto token = get("bob@example.com");
        ASSERT_TRUE(token.ok()) << token.error().message;
        ASSERT_EQ(token->value.reveal(), "access-" + std::to_string(i));
        current = token->value.reveal();
    }
    EXPECT_EQ(server_.requests(), 21);
    EXPECT_EQ(log::registered_secrets(), after_first);
    EXPECT_EQ(log::scrub("refresh-21 access-21"), "*** ***");
}

TEST_F(TokenManagerStoreTest, RefreshWithoutRotationKeepsTheRefreshToken) {
    authorize("bob@example.com", "old-access", "refresh-1", 0s);
    server_.push({200, grant_json("new-access")});
    ASSERT_TRUE(get("bob@example.com").ok());
    EXPECT_EQ(store().get("acme", "bob@example.com").value()->refresh_token.reveal(), "refresh-1");
}

TEST_F(TokenManagerStoreTest, RestartNeedsNoNewAuthorization) {
    authorize("bob@example.com", "old-access", "refresh-1", 0s);
    server_.push({200, grant_json("new-access", "refresh-2", 3600)});
    ASSERT_TRUE(get("bob@example.com").ok());
    restart();
    auto again = get("bob@example.com");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->value.reveal(), "new-access");
    EXPECT_EQ(server_.requests(), 1);
    EXPECT_EQ(status_of("bob@example.com")->state, TokenState::valid);
}

TEST_F(TokenManagerStoreTest, InvalidGrantNeedsAuthorizationForThatLoginOnly) {
    authorize("bob@example.com", "bob-old", "bob-refresh", 0s);
    authorize("carol@example.com", "carol-access", "carol-refresh", 3600s);
    server_.push({400, R"({"error":"invalid_grant","error_description":"grant revoked"})"});
    auto bob = get("bob@example.com");
    ASSERT_FALSE(bob.ok());
    EXPECT_EQ(bob.error().message,
              "authorization required — run mailbridge auth acme --login bob@example.com");
    EXPECT_EQ(status_of("bob@example.com")->state, TokenState::needs_authorization);
    EXPECT_EQ(status_of("bob@example.com")->refreshes_permanent_error, 1u);
    auto carol = get("carol@example.com");
    ASSERT_TRUE(carol.ok());
    EXPECT_EQ(carol->value.reveal(), "carol-access");
    test::run_for(&loop_, 100ms);  // the refusal is recorded on the worker
    auto bob_row = store().get("acme", "bob@example.com").value();
    EXPECT_TRUE(bob_row->refresh_token.empty());
    EXPECT_NE(bob_row->last_error.find("authorization required"), std::string::npos);
    EXPECT_EQ(store().get("acme", "carol@example.com").value()->refresh_token.reveal(),
              "carol-refresh");
    restart();
    EXPECT_FALSE(get("bob@example.com").ok());
    EXPECT_EQ(status_of("bob@example.com")->state, TokenState::needs_authorization);
    EXPECT_EQ(server_.requests(), 1);
}

TEST_F(TokenManagerStoreTest, NewAuthorizationIsPickedUpWithoutRestart) {
    auto before = get("dave@example.com");
    ASSERT_FALSE(before.ok());
    EXPECT_EQ(status_of("dave@example.com")->state, TokenState::needs_authorization);
    authorize("dave@example.com", "dave-access", "dave-refresh", 3600s);
    auto after = get("dave@example.com");
    ASSERT_TRUE(after.ok()) << after.error().message;
    EXPECT_EQ(after->value.reveal(), "dave-access");
    EXPECT_EQ(status_of("dave@example.com")->state, TokenState::valid);
    EXPECT_EQ(server_.requests(), 0);
}

TEST_F(TokenManagerStoreTest, RejectedStoredTokenIsNotReinstalled) {
    authorize("bob@example.com", "stale-access", "refresh-1", 3600s);
    auto first = get("bob@example.com");
    ASSERT_TRUE(first.ok());
    manager().invalidate("acme", "bob@example.com", first->value);
    server_.push({200, grant_json("fresh-access", "refresh-2")});
    auto second = get("bob@example.com");
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->value.reveal(), "fresh-access");
    EXPECT_EQ(server_.requests(), 1);
}

TEST_F(TokenManagerStoreTest, ClientCredentialsTokenSurvivesARestart) {
    server_.push({200, grant_json("shared-access")});
    ASSERT_TRUE(get("anyone@example.com", "corp").ok());
    restart();
    auto again = get("other@example.com", "corp");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->value.reveal(), "shared-access");
    EXPECT_EQ(server_.requests(), 1);
    EXPECT_TRUE(store().get("corp", "").value().has_value());
}

TEST_F(TokenManagerStoreTest, UnreadableStoreIsAClearError) {
    authorize("bob@example.com", "a", "r", 3600s);
    std::filesystem::remove(state_dir_ / store::kTokenKeyFile);
    auto token = get("bob@example.com");
    ASSERT_FALSE(token.ok());
    EXPECT_NE(token.error().message.find("token store"), std::string::npos);
    EXPECT_NE(token.error().message.find("does not match"), std::string::npos);
    EXPECT_EQ(status_of("bob@example.com")->state, TokenState::failing);
}

TEST_F(TokenManagerStoreTest, FilesAreRestricted) {
    authorize("bob@example.com", "a", "r", 3600s);
    ASSERT_TRUE(get("bob@example.com").ok());
    struct stat info {};
    ::stat((state_dir_ / store::kTokenStoreFile).c_str(), &info);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    ::stat((state_dir_ / store::kTokenKeyFile).c_str(), &info);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace mb::oauth
