// UpstreamBackoff: growing, capped, jittered delays per (account, upstream), fail-fast windows,
// reset on success; and which upstream refusals count as "struggling".
#include "bridge/session/upstream_backoff.h"

#include <gtest/gtest.h>

namespace mb::session {
namespace {

using namespace std::chrono_literals;
using Clock = UpstreamBackoff::Clock;

TEST(UpstreamBackoff, DelaysDoubleFromOneSecondUpToAMinute) {
    UpstreamBackoff backoff([] { return 1.0; });
    const auto t0 = Clock::time_point{} + 1000s;
    std::vector<std::int64_t> delays;
    for (int i = 0; i < 9; ++i)
        delays.push_back(backoff.failure("alice", "imap.example:993", "refused", t0).count());
    EXPECT_EQ(delays, (std::vector<std::int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000,
                                                 60000}));
    EXPECT_EQ(backoff.failures("alice", "imap.example:993"), 9);
}

TEST(UpstreamBackoff, BlocksOnlyThePairAndOnlyUntilTheDelayEnds) {
    UpstreamBackoff backoff([] { return 1.0; });
    const auto t0 = Clock::time_point{} + 1000s;
    EXPECT_FALSE(backoff.blocked("alice", "a:993", t0));
    backoff.failure("alice", "a:993", "TLS handshake failed", t0);
    backoff.failure("alice", "a:993", "connection refused", t0 + 1s);  // 2 s from t0 + 1 s
    auto blocked = backoff.blocked("alice", "a:993", t0 + 1500ms);
    ASSERT_TRUE(blocked);
    EXPECT_EQ(blocked->remaining, 1500ms);
    EXPECT_EQ(blocked->failures, 2);
    EXPECT_EQ(blocked->last_error, "connection refused");
    EXPECT_FALSE(backoff.blocked("alice", "a:993", t0 + 3s));
    EXPECT_FALSE(backoff.blocked("bob", "a:993", t0 + 1500ms));
    EXPECT_FALSE(backoff.blocked("alice", "b:993", t0 + 1500ms));
    EXPECT_TRUE(backoff.upstream_blocked("a:993", t0 + 1500ms));
    EXPECT_FALSE(backoff.upstream_blocked("b:993", t0 + 1500ms));
    EXPECT_FALSE(backoff.upstream_blocked("a:993", t0 + 3s));

    auto states = backoff.states(t0 + 2s);
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].remaining, 1000ms);
    EXPECT_TRUE(backoff.success("alice", "a:993"));
    EXPECT_FALSE(backoff.success("alice", "a:993"));
    EXPECT_FALSE(backoff.blocked("alice", "a:993", t0 + 1500ms));
    EXPECT_TRUE(backoff.states(t0).empty());
    // After a success the next failure starts again at one second.
    EXPECT_EQ(backoff.failure("alice", "a:993", "x", t0), 1000ms);
}

TEST(UpstreamBackoff, JitterIsBoundedAndNeverBelowOneSecondOrAboveAMinute) {
    double factor = 0.1;
    UpstreamBackoff backoff([&] { return factor; });
    const auto t0 = Clock::time_point{} + 1000s;
    EXPECT_EQ(backoff.failure("a", "u", "x", t0), 1000ms);  // 0.1 clamped to 0.75, then ≥ 1 s
    factor = 1.25;
    EXPECT_EQ(backoff.failure("a", "u", "x", t0), 2500ms);
    for (int i = 0; i < 10; ++i) backoff.failure("a", "u", "x", t0);
    EXPECT_EQ(backoff.failure("a", "u", "x", t0), 60000ms);
    UpstreamBackoff random;  // the default jitter stays within ±25 %
    for (int i = 0; i < 50; ++i) {
        random.success("a", "u");
        const auto second = (random.failure("a", "u", "x", t0), random.failure("a", "u", "x", t0));
        EXPECT_GE(second, 1500ms);
        EXPECT_LE(second, 2500ms);
    }
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
