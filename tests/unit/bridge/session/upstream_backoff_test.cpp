// UpstreamBackoff: growing, capped, jittered delays per route (account, upstream, proxy),
// fail-fast windows that hold back only their own route, a server's suggested time as the least
// delay (within the cap), reset on success; and which upstream refusals count as "struggling".
#include "bridge/session/upstream_backoff.h"

#include <gtest/gtest.h>

namespace mb::session {
namespace {

using namespace std::chrono_literals;
using Clock = UpstreamBackoff::Clock;
using Route = UpstreamBackoff::Route;

Route direct(std::string account, std::string upstream) {
    return Route{std::move(account), std::move(upstream), ""};
}

TEST(UpstreamBackoff, DelaysDoubleFromOneSecondUpToAMinute) {
    UpstreamBackoff backoff([] { return 1.0; });
    const auto t0 = Clock::time_point{} + 1000s;
    std::vector<std::int64_t> delays;
    for (int i = 0; i < 9; ++i)
        delays.push_back(
            backoff.failure(direct("alice", "imap.example:993"), "refused", t0).count());
    EXPECT_EQ(delays, (std::vector<std::int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000,
                                                 60000}));
    EXPECT_EQ(backoff.failures(direct("alice", "imap.example:993")), 9);
}

TEST(UpstreamBackoff, BlocksOnlyThePairAndOnlyUntilTheDelayEnds) {
    UpstreamBackoff backoff([] { return 1.0; });
    const auto t0 = Clock::time_point{} + 1000s;
    EXPECT_FALSE(backoff.blocked(direct("alice", "a:993"), t0));
    backoff.failure(direct("alice", "a:993"), "TLS handshake failed", t0);
    backoff.failure(direct("alice", "a:993"), "connection refused", t0 + 1s);  // 2 s from t0 + 1 s
    auto blocked = backoff.blocked(direct("alice", "a:993"), t0 + 1500ms);
    ASSERT_TRUE(blocked);
    EXPECT_EQ(blocked->remaining, 1500ms);
    EXPECT_EQ(blocked->failures, 2);
    EXPECT_EQ(blocked->last_error, "connection refused");
    EXPECT_FALSE(backoff.blocked(direct("alice", "a:993"), t0 + 3s));
    EXPECT_FALSE(backoff.blocked(direct("bob", "a:993"), t0 + 1500ms));
    EXPECT_FALSE(backoff.blocked(direct("alice", "b:993"), t0 + 1500ms));
    EXPECT_TRUE(backoff.route_blocked("a:993", "", t0 + 1500ms));
    EXPECT_FALSE(backoff.route_blocked("b:993", "", t0 + 1500ms));
    EXPECT_FALSE(backoff.route_blocked("a:993", "", t0 + 3s));

    auto states = backoff.states(t0 + 2s);
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].remaining, 1000ms);
    EXPECT_TRUE(backoff.success(direct("alice", "a:993")));
    EXPECT_FALSE(backoff.success(direct("alice", "a:993")));
    EXPECT_FALSE(backoff.blocked(direct("alice", "a:993"), t0 + 1500ms));
    EXPECT_TRUE(backoff.states(t0).empty());
    // After a success the next failure starts again at one second.
    EXPECT_EQ(backoff.failure(direct("alice", "a:993"), "x", t0), 1000ms);
}

TEST(UpstreamBackoff, JitterIsBoundedAndNeverBelowOneSecondOrAboveAMinute) {
    double factor = 0.1;
    UpstreamBackoff backoff([&] { return factor; });
    const auto t0 = Clock::time_point{} + 1000s;
    EXPECT_EQ(backoff.failure(direct("a", "u"), "x", t0),
              1000ms);  // 0.1 clamped to 0.75, then ≥ 1 s
    factor = 1.25;
    EXPECT_EQ(backoff.failure(direct("a", "u"), "x", t0), 2500ms);
    for (int i = 0; i < 10; ++i) backoff.failure(direct("a", "u"), "x", t0);
    EXPECT_EQ(backoff.failure(direct("a", "u"), "x", t0), 60000ms);
    UpstreamBackoff random;  // the default jitter stays within ±25 %
    for (int i = 0; i < 50; ++i) {
        random.success(direct("a", "u"));
        const auto second =
            (random.failure(direct("a", "u"), "x", t0), random.failure(direct("a", "u"), "x", t0));
        EXPECT_GE(second, 1500ms);
        EXPECT_LE(second, 2500ms);
    }
}

TEST(UpstreamBackoff, ARouteHoldsBackOnlyItselfNotTheUpstreamsOtherRoutes) {
    UpstreamBackoff backoff([] { return 1.0; });
    const auto t0 = Clock::time_point{} + 1000s;
    const Route bad_proxy{"alice", "imap.example:993", "corp"};
    const Route no_proxy{"alice", "imap.example:993", ""};
    const Route good_proxy{"alice", "imap.example:993", "branch"};
    for (int i = 0; i < 5; ++i) backoff.failure(bad_proxy, "proxy corp: 407 after credentials", t0);
    ASSERT_TRUE(backoff.blocked(bad_proxy, t0 + 1s));
    EXPECT_FALSE(backoff.blocked(no_proxy, t0 + 1s));
    EXPECT_FALSE(backoff.blocked(good_proxy, t0 + 1s));
    EXPECT_EQ(backoff.failures(no_proxy), 0);
    EXPECT_TRUE(backoff.route_blocked("imap.example:993", "corp", t0 + 1s));
    EXPECT_FALSE(backoff.route_blocked("imap.example:993", "", t0 + 1s));
    EXPECT_FALSE(backoff.route_blocked("imap.example:993", "branch", t0 + 1s));
    // A success on another route does not clear this one.
    EXPECT_FALSE(backoff.success(no_proxy));
    EXPECT_TRUE(backoff.blocked(bad_proxy, t0 + 1s));

    const auto states = backoff.states(t0 + 1s);
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].route, bad_proxy);
    EXPECT_EQ(states[0].failures, 5);
    EXPECT_EQ(bad_proxy.describe(), "alice to imap.example:993 through proxy corp");
    EXPECT_EQ(no_proxy.describe(), "alice to imap.example:993 direct");
}

TEST(UpstreamBackoff, TheServersSuggestedTimeIsTheLeastDelayUpToTheCap) {
    UpstreamBackoff backoff([] { return 1.0; }, 300s);
    const auto t0 = Clock::time_point{} + 1000s;
    const Route route = direct("alice", "outlook.office365.com:993");
    EXPECT_EQ(backoff.failure(route, "throttled", t0, 3000ms), 3000ms);  // not the first 1 s
    EXPECT_EQ(backoff.blocked(route, t0 + 1s)->remaining, 2000ms);
    EXPECT_EQ(backoff.failure(route, "throttled", t0, 500ms), 2000ms);  // shorter: exponential wins
    EXPECT_EQ(backoff.failure(route, "throttled", t0, 256625ms), 256625ms);
    EXPECT_EQ(backoff.failure(route, "throttled", t0, 24h), 300s);  // capped by the maximum
    UpstreamBackoff small([] { return 1.0; }, 60s);
    EXPECT_EQ(small.failure(route, "throttled", t0, 256625ms), 60s);
    // A zero or missing suggestion leaves the exponential delay alone.
    UpstreamBackoff plain([] { return 1.0; });
    EXPECT_EQ(plain.failure(route, "x", t0, 0ms), 1000ms);
}

TEST(UpstreamBackoff, DelaysGrowUpToAConfiguredCapAboveAMinute) {
    UpstreamBackoff backoff([] { return 1.25; }, 300s);
    const auto t0 = Clock::time_point{} + 1000s;
    UpstreamBackoff::Millis last{0};
    for (int i = 0; i < 12; ++i) last = backoff.failure(direct("a", "u"), "x", t0);
    EXPECT_EQ(last, 300s);  // jitter never lifts it above the cap either
}

TEST(UpstreamBackoff, ThrottlingAnswersAreRecognised) {
    EXPECT_TRUE(is_throttling_answer("UNAVAILABLE", "Server busy"));
    EXPECT_TRUE(is_throttling_answer("SYS/TEMP", "try later"));
    EXPECT_TRUE(is_throttling_answer("421", "closing"));
    EXPECT_TRUE(is_throttling_answer("4.7.0", "Temporary server error"));
    EXPECT_TRUE(is_throttling_answer("",
                                     "User is authenticated but not connected. Request is "
                                     "throttled."));
    EXPECT_TRUE(is_throttling_answer("", "Too many simultaneous connections"));
    EXPECT_FALSE(is_throttling_answer("AUTHENTICATIONFAILED", "Invalid credentials"));
    EXPECT_FALSE(is_throttling_answer("5.7.8", "Authentication unsuccessful"));
    EXPECT_FALSE(is_throttling_answer("", "AUTHENTICATE failed."));
}

}  // namespace
}  // namespace mb::session
