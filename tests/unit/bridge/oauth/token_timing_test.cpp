// Tests for refresh-ahead, expiry margin and retry backoff arithmetic.
#include "bridge/oauth/token_timing.h"

#include <gtest/gtest.h>

namespace mb::oauth {
namespace {

using namespace std::chrono_literals;

TEST(RefreshDelay, EarlierOf80PercentAndFiveMinutesBefore) {
    EXPECT_EQ(refresh_delay(3600s), 2880s);  // 80% (5 min before would be 3300 s)
    EXPECT_EQ(refresh_delay(600s), 300s);    // 5 min before (80% would be 480 s)
    EXPECT_EQ(refresh_delay(1500s), 1200s);  // both agree
    EXPECT_EQ(refresh_delay(86400s), Millis(86400s) * 8 / 10);
}

TEST(RefreshDelay, NeverBeforeHalfTheLifetimeNorSoonerThanOneSecond) {
    EXPECT_EQ(refresh_delay(300s), 150s);
    EXPECT_EQ(refresh_delay(120s), 60s);
    EXPECT_EQ(refresh_delay(2s), 1s);
    EXPECT_EQ(refresh_delay(1s), 1s);
    EXPECT_EQ(refresh_delay(0s), 1s);
}

TEST(ExpiryMargin, ThirtySecondsOrATenth) {
    EXPECT_EQ(expiry_margin(3600s), 30s);
    EXPECT_EQ(expiry_margin(300s), 30s);
    EXPECT_EQ(expiry_margin(100s), 10s);
    EXPECT_EQ(expiry_margin(2s), 200ms);
    EXPECT_EQ(expiry_margin(0s), 0ms);
}

TEST(RetryDelay, DoublesUpToTheCap) {
    RetryPolicy policy;
    policy.max_retries = 8;
    policy.base_delay = 1s;
    policy.max_delay = 10s;
    EXPECT_EQ(retry_delay(policy, 1, std::nullopt), 1s);
    EXPECT_EQ(retry_delay(policy, 2, std::nullopt), 2s);
    EXPECT_EQ(retry_delay(policy, 3, std::nullopt), 4s);
    EXPECT_EQ(retry_delay(policy, 4, std::nullopt), 8s);
    EXPECT_EQ(retry_delay(policy, 5, std::nullopt), 10s);
    EXPECT_EQ(retry_delay(policy, 8, std::nullopt), 10s);
    EXPECT_EQ(retry_delay(policy, 9, std::nullopt), std::nullopt);
    EXPECT_EQ(retry_delay(policy, 0, std::nullopt), std::nullopt);
}

TEST(RetryDelay, RetryAfterIsAFloorWithALimit) {
    RetryPolicy policy;
    EXPECT_EQ(retry_delay(policy, 1, 5s), 5s);
    EXPECT_EQ(retry_delay(policy, 3, 1s), 4s);
    EXPECT_EQ(retry_delay(policy, 1, 120s), 120s);
    EXPECT_EQ(retry_delay(policy, 1, 121s), std::nullopt);
}

TEST(RetryDelay, NoRetries) {
    RetryPolicy policy;
    policy.max_retries = 0;
    EXPECT_EQ(retry_delay(policy, 1, std::nullopt), std::nullopt);
}

}  // namespace
}  // namespace mb::oauth
