// judge_failure: retry transient failures while retries are left and Retry-After is acceptable;
// otherwise give up with a note saying why.
#include "bridge/oauth/token_retry.h"

#include <gtest/gtest.h>

namespace mb::oauth {
namespace {

using namespace std::chrono_literals;

RetryPolicy policy() {
    RetryPolicy policy;
    policy.max_retries = 2;
    policy.base_delay = 100ms;
    policy.max_delay = 1s;
    policy.max_retry_after = 60s;
    return policy;
}

TEST(JudgeFailureTest, PermanentFailuresAreNeverRetriedAndGetNoNote) {
    auto verdict = judge_failure(policy(), 0, false, 5s);
    EXPECT_FALSE(verdict.retry_in);
    EXPECT_EQ(verdict.give_up_note, "");
}

TEST(JudgeFailureTest, TransientFailuresAreRetriedWithTheGrowingDelay) {
    EXPECT_EQ(judge_failure(policy(), 0, true, std::nullopt).retry_in, Millis(100));
    EXPECT_EQ(judge_failure(policy(), 1, true, std::nullopt).retry_in, Millis(200));
}

TEST(JudgeFailureTest, RetryAfterLengthensTheWait) {
    EXPECT_EQ(judge_failure(policy(), 0, true, 3s).retry_in, Millis(3000));
}

TEST(JudgeFailureTest, GivingUpAfterRetriesCountsTheAttempts) {
    auto verdict = judge_failure(policy(), 2, true, std::nullopt);
    EXPECT_FALSE(verdict.retry_in);
    EXPECT_EQ(verdict.give_up_note, " (gave up after 3 attempts)");
}

TEST(JudgeFailureTest, ATooLongRetryAfterAtOnceSaysWhatTheServerAsked) {
    auto verdict = judge_failure(policy(), 0, true, 600s);
    EXPECT_FALSE(verdict.retry_in);
    EXPECT_EQ(verdict.give_up_note, " (the server asks to wait 600 s)");
}

TEST(JudgeFailureTest, NoRetriesAllowedAndNoRetryAfterGivesNoNote) {
    RetryPolicy none = policy();
    none.max_retries = 0;
    auto verdict = judge_failure(none, 0, true, std::nullopt);
    EXPECT_FALSE(verdict.retry_in);
    EXPECT_EQ(verdict.give_up_note, "");
}

}  // namespace
}  // namespace mb::oauth
