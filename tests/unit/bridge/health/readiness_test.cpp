// Tests for the readiness report: the ready rule and the JSON the /readyz route serves.
#include "bridge/health/readiness.h"

#include <gtest/gtest.h>

namespace {

using mb::health::AccountState;
using mb::health::ListenerState;
using mb::health::LoginResult;
using mb::health::ReadinessReport;
using mb::health::TokenState;

ReadinessReport sample() {
    ReadinessReport report;
    report.listeners.push_back(
        {"imap", "imap", "127.0.0.1:1143", true, "", "upstream.example:993", 2});
    report.listeners.push_back({"smtp", "smtp", "[::1]:1025", true, "", "smtp.example:587", 0});
    AccountState alice;
    alice.name = "alice";
    alice.login = "alice@example.com";
    alice.token_state = TokenState::valid;
    alice.token_valid_until = 1718000000;
    alice.last_login_result = LoginResult::ok;
    alice.last_login_time = 1717990000;
    report.accounts.push_back(alice);
    AccountState bob;
    bob.name = "bob";
    bob.token_state = TokenState::needs_authorization;
    report.accounts.push_back(bob);
    return report;
}

TEST(Readiness, ReadyWhenEveryListenerIsUp) {
    ReadinessReport report = sample();
    EXPECT_TRUE(report.ready());
    report.listeners[1].up = false;
    EXPECT_FALSE(report.ready());
    EXPECT_TRUE(ReadinessReport{}.ready());
}

TEST(Readiness, JsonShape) {
    ReadinessReport report = sample();
    report.listeners[1].up = false;
    report.listeners[1].error = "address already in use";
    auto json = nlohmann::json::parse(mb::health::to_json_text(report));
    EXPECT_EQ(json["ready"], false);
    ASSERT_EQ(json["listeners"].size(), 2u);
    EXPECT_EQ(json["listeners"][0]["name"], "imap");
    EXPECT_EQ(json["listeners"][0]["protocol"], "imap");
    EXPECT_EQ(json["listeners"][0]["address"], "127.0.0.1:1143");
    EXPECT_EQ(json["listeners"][0]["up"], true);
    EXPECT_TRUE(json["listeners"][0]["error"].is_null());
    EXPECT_EQ(json["listeners"][1]["error"], "address already in use");
    ASSERT_EQ(json["accounts"].size(), 2u);
    const auto& alice = json["accounts"][0];
    EXPECT_EQ(alice["name"], "alice");
    EXPECT_EQ(alice["login"], "alice@example.com");
    EXPECT_EQ(alice["token_state"], "valid");
    EXPECT_EQ(alice["token_valid_until"], 1718000000);
    EXPECT_EQ(alice["last_login_result"], "ok");
    EXPECT_EQ(alice["last_login_time"], 1717990000);
    EXPECT_TRUE(alice["last_error"].is_null());
    const auto& bob = json["accounts"][1];
    EXPECT_EQ(bob["token_state"], "needs_authorization");
    EXPECT_TRUE(bob["token_valid_until"].is_null());
    EXPECT_TRUE(bob["last_login_result"].is_null());
    EXPECT_TRUE(bob["last_login_time"].is_null());
}

TEST(Readiness, JsonCarriesVersionUptimeSessionsAndCache) {
    ReadinessReport report = sample();
    report.version = "9.8.7";
    report.uptime_seconds = 3725;
    report.cache_enabled = true;
    report.cache.push_back({"alice", 1200, 0.004, 0.002});
    report.cache.push_back({"bob", 0, std::nullopt, std::nullopt});
    auto json = nlohmann::json::parse(mb::health::to_json_text(report));
    EXPECT_EQ(json["version"], "9.8.7");
    EXPECT_EQ(json["uptime_seconds"], 3725);
    EXPECT_EQ(json["listeners"][0]["upstream"], "upstream.example:993");
    EXPECT_EQ(json["listeners"][0]["sessions"], 2);
    EXPECT_EQ(json["cache"]["enabled"], true);
    ASSERT_EQ(json["cache"]["accounts"].size(), 2u);
    EXPECT_EQ(json["cache"]["accounts"][0]["rows"], 1200);
    EXPECT_DOUBLE_EQ(json["cache"]["accounts"][0]["write_average_seconds"].get<double>(), 0.002);
    EXPECT_TRUE(json["cache"]["accounts"][1]["write_last_seconds"].is_null());
    EXPECT_TRUE(
        nlohmann::json::parse(mb::health::to_json_text(ReadinessReport{}))["cache"]["enabled"]
            .is_null());
}

TEST(Readiness, TokenStateNames) {
    EXPECT_EQ(to_string(TokenState::valid), "valid");
    EXPECT_EQ(to_string(TokenState::needs_authorization), "needs_authorization");
    EXPECT_EQ(to_string(TokenState::failing), "failing");
    EXPECT_EQ(to_string(TokenState::unknown), "unknown");
}

TEST(Readiness, InvalidUtf8IsReplacedNotThrown) {
    ReadinessReport report;
    AccountState account;
    account.name = "x\xff\xfe";
    report.accounts.push_back(account);
    std::string text;
    ASSERT_NO_THROW(text = mb::health::to_json_text(report));
    auto json = nlohmann::json::parse(text);
    EXPECT_EQ(json["accounts"][0]["name"], "x\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(text.back(), '\n');
}

TEST(Readiness, ClientControlledTextIsShownEscaped) {
    ReadinessReport report;
    AccountState account;
    account.name = "x";
    account.login = "a\x1b[31m\n<3>forged\xc2\x9b\x7f\xff";
    account.last_error = "x: wrong local password for a\x1b[31m\n<3>forged";
    report.accounts.push_back(account);
    auto json = nlohmann::json::parse(mb::health::to_json_text(report));
    EXPECT_EQ(json["accounts"][0]["login"], "a\\x1b[31m\\n<3>forged\\xc2\\x9b\\x7f\\xff");
    EXPECT_EQ(json["accounts"][0]["last_error"],
              "x: wrong local password for a\\x1b[31m\\n<3>forged");
}

TEST(Readiness, ProxyStatesShowTheirLastResult) {
    ReadinessReport report;
    mb::health::ProxyState never;
    never.name = "idle";
    never.url = "http://127.0.0.1:3128";
    mb::health::ProxyState failed;
    failed.name = "corp";
    failed.url = "https://proxy.example:443";
    failed.last_ok = false;
    failed.last_time = 1700000000;
    failed.last_error = "proxy authentication failed (407 after credentials)";
    report.proxies = {never, failed};
    auto json = nlohmann::ordered_json::parse(mb::health::to_json_text(report));
    EXPECT_TRUE(json["proxies"][0]["last_result"].is_null());
    EXPECT_TRUE(json["proxies"][0]["last_latency_ms"].is_null());
    EXPECT_EQ(json["proxies"][1]["last_result"], "failed");
    EXPECT_EQ(json["proxies"][1]["last_time"], 1700000000);
    EXPECT_EQ(json["proxies"][1]["last_error"], failed.last_error);
    EXPECT_TRUE(report.ready());  // proxies do not decide readiness; listeners do
}

TEST(Readiness, BackoffStatesNameTheirRoute) {
    ReadinessReport report;
    report.backoff = {{"alice", "imap.example:993", "corp", 2, 3.5, "proxy corp: 407"},
                      {"alice", "imap.example:993", "", 1, 0, "connection refused"}};
    auto json = nlohmann::ordered_json::parse(mb::health::to_json_text(report));
    EXPECT_EQ(json["backoff"][0]["account"], "alice");
    EXPECT_EQ(json["backoff"][0]["upstream"], "imap.example:993");
    EXPECT_EQ(json["backoff"][0]["proxy"], "corp");
    EXPECT_EQ(json["backoff"][0]["retry_in_seconds"], 3.5);
    EXPECT_EQ(json["backoff"][1]["proxy"], "direct");
}

}  // namespace
