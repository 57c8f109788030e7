// ReadinessReporter: the /readyz report composed from a snapshot — listeners and backoff as given,
// cache rows and write latencies merged per account, every configured proxy with its last tunnel,
// every configured account once per token key with its last login.
#include "bridge/daemon/readiness_reporter.h"

#include <gtest/gtest.h>

#include "bridge/version.h"

namespace mb::daemon {
namespace {

using namespace std::chrono_literals;

class ReadinessReporterTest : public ::testing::Test {
  protected:
    ReadinessReporterTest() {
        config::AccountSettings alice;
        alice.name = "alice";
        config::AccountSettings shared;
        shared.name = "shared";
        config_.accounts = {alice, shared};
        config::ProxySettings corp;
        corp.name = "corp";
        corp.url = "http://proxy.example.com:3128";
        config::ProxySettings spare;
        spare.name = "spare";
        spare.url = "http://spare.example.com:3128";
        config_.proxies = {corp, spare};
        snapshot_.config = &config_;
    }

    config::Config config_;
    ReadinessSnapshot snapshot_;
    ReadinessReporter reporter_;
};

TEST_F(ReadinessReporterTest, AnIdleDaemonReportsItsAccountsAndProxiesWithoutHistory) {
    snapshot_.uptime_seconds = 42;
    auto report = reporter_.report(snapshot_);
    EXPECT_EQ(report.version, MAILBRIDGE_VERSION);
    EXPECT_EQ(report.uptime_seconds, 42);
    EXPECT_EQ(report.cache_enabled, false);
    EXPECT_TRUE(report.cache.empty());
    EXPECT_TRUE(report.listeners.empty());
    ASSERT_EQ(report.accounts.size(), 2u);
    EXPECT_EQ(report.accounts[0].name, "alice");
    EXPECT_EQ(report.accounts[0].token_state, health::TokenState::unknown);
    EXPECT_FALSE(report.accounts[0].last_login_result);
    ASSERT_EQ(report.proxies.size(), 2u);
    EXPECT_EQ(report.proxies[0].name, "corp");
    EXPECT_EQ(report.proxies[0].url, "http://proxy.example.com:3128");
    EXPECT_FALSE(report.proxies[0].last_ok);
}

TEST_F(ReadinessReporterTest, ListenersAndBackoffArePassedOn) {
    snapshot_.listeners.push_back(
        {"imap", "imap", "127.0.0.1:1143", true, "", "imap.example.com:993", 3});
    session::UpstreamBackoff::State backoff;
    backoff.route = {"alice", "imap.example.com:993", "corp"};
    backoff.failures = 2;
    backoff.remaining = 1500ms;
    backoff.last_error = "refused";
    snapshot_.backoff.push_back(backoff);
    auto report = reporter_.report(snapshot_);
    ASSERT_EQ(report.listeners.size(), 1u);
    EXPECT_EQ(report.listeners[0].sessions, 3u);
    ASSERT_EQ(report.backoff.size(), 1u);
    EXPECT_EQ(report.backoff[0].account, "alice");
    EXPECT_EQ(report.backoff[0].proxy, "corp");
    EXPECT_EQ(report.backoff[0].failures, 2);
    EXPECT_DOUBLE_EQ(report.backoff[0].retry_in_seconds, 1.5);
    EXPECT_EQ(report.backoff[0].last_error, "refused");
}

TEST_F(ReadinessReporterTest, CacheRowsAndWriteLatenciesAreMergedPerAccount) {
    snapshot_.cache_enabled = true;
    snapshot_.cache_rows = {{"alice", 10}, {"bob", 5}};
    store::CacheWriter::Stats::AccountLatency latency;
    latency.last_ms = 250;
    latency.average_ms = 100;
    snapshot_.cache_writes = {{"alice", latency}, {"carol", latency}};
    auto report = reporter_.report(snapshot_);
    EXPECT_EQ(report.cache_enabled, true);
    ASSERT_EQ(report.cache.size(), 3u);
    EXPECT_EQ(report.cache[0].account, "alice");
    EXPECT_EQ(report.cache[0].rows, 10);
    EXPECT_EQ(report.cache[0].write_last_seconds, 0.25);
    EXPECT_EQ(report.cache[0].write_average_seconds, 0.1);
    EXPECT_EQ(report.cache[1].account, "bob");
    EXPECT_FALSE(report.cache[1].write_last_seconds);
    EXPECT_EQ(report.cache[2].account, "carol");
    EXPECT_EQ(report.cache[2].rows, 0);
}

TEST_F(ReadinessReporterTest, EachTokenKeyIsOneAccountLineWithTheAccountsLastLogin) {
    oauth::TokenStatus first;
    first.account = "alice";
    first.login = "alice@example.com";
    first.state = oauth::TokenState::valid;
    first.valid_until = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    oauth::TokenStatus second;
    second.account = "alice";
    second.login = "al@example.com";
    second.state = oauth::TokenState::needs_authorization;
    second.last_error = "authorization required";
    snapshot_.tokens = {first, second};
    reporter_.record_login("alice", health::LoginResult::upstream_rejected, "AUTHENTICATE failed",
                           1'700'000'100);
    auto report = reporter_.report(snapshot_);
    ASSERT_EQ(report.accounts.size(), 3u);
    EXPECT_EQ(report.accounts[0].login, "alice@example.com");
    EXPECT_EQ(report.accounts[0].token_state, health::TokenState::valid);
    EXPECT_EQ(report.accounts[0].token_valid_until, 1'700'000'000);
    EXPECT_EQ(report.accounts[0].last_login_result, health::LoginResult::upstream_rejected);
    EXPECT_EQ(report.accounts[0].last_login_time, 1'700'000'100);
    EXPECT_EQ(report.accounts[0].last_error, "AUTHENTICATE failed");  // the token has none
    EXPECT_EQ(report.accounts[1].token_state, health::TokenState::needs_authorization);
    EXPECT_EQ(report.accounts[1].last_error, "authorization required");  // the token's first
    EXPECT_EQ(report.accounts[2].name, "shared");
    EXPECT_FALSE(report.accounts[2].last_login_result);
}

TEST_F(ReadinessReporterTest, AProxyKeepsItsLastLatencyAcrossAFailure) {
    reporter_.record_proxy("corp", true, 12.5, "", 100);
    reporter_.record_proxy("corp", false, std::nullopt, "407 Proxy Authentication Required", 200);
    reporter_.record_proxy("gone", true, 1.0, "", 300);  // not configured: not reported
    auto report = reporter_.report(snapshot_);
    ASSERT_EQ(report.proxies.size(), 2u);
    EXPECT_EQ(report.proxies[0].last_ok, false);
    EXPECT_EQ(report.proxies[0].last_time, 200);
    EXPECT_EQ(report.proxies[0].last_latency_ms, 12.5);
    EXPECT_EQ(report.proxies[0].last_error, "407 Proxy Authentication Required");
    EXPECT_EQ(report.proxies[0].name, "corp");
    EXPECT_FALSE(report.proxies[1].last_ok);
}

TEST(ProtocolName, NamesEachProtocol) {
    EXPECT_EQ(protocol_name(config::Protocol::imap), "imap");
    EXPECT_EQ(protocol_name(config::Protocol::pop3), "pop3");
    EXPECT_EQ(protocol_name(config::Protocol::smtp), "smtp");
}

}  // namespace
}  // namespace mb::daemon
