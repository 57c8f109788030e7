// stored_access: which stored rows give a token to hand out, with what lifetime, expiry and
// refresh time (the jobs on the worker are covered by token_manager_store_test).
#include "bridge/oauth/token_persistence.h"

#include <gtest/gtest.h>

namespace mb::oauth {
namespace {

using namespace std::chrono_literals;

class StoredAccessTest : public ::testing::Test {
  protected:
    StoredAccessTest() {
        row_.account = "acme";
        row_.login = "alice";
        row_.access_token = Secret("stored-token");
        row_.obtained_at = system_now_ - 10min;
        row_.expires_at = system_now_ + 50min;  // a one-hour token
    }

    std::optional<StoredAccess> access(const Secret& rejected = Secret()) const {
        return stored_access(row_, rejected, now_, system_now_);
    }

    std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::now();
    std::chrono::system_clock::time_point system_now_ = std::chrono::system_clock::now();
    store::StoredToken row_;
};

TEST_F(StoredAccessTest, AValidRowGivesAStoredTokenWithItsLifetimeAndRefreshTime) {
    auto got = access();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->token.value.reveal(), "stored-token");
    EXPECT_EQ(got->token.origin, TokenOrigin::stored);
    EXPECT_EQ(got->lifetime, 3600s);
    EXPECT_EQ(got->token.valid_until, *row_.expires_at);
    EXPECT_EQ(got->token.expires_at - now_, std::chrono::steady_clock::duration(50min));
    EXPECT_EQ(got->until_refresh, refresh_delay(3600s) - Millis(10min));
}

TEST_F(StoredAccessTest, RefreshTimeMayAlreadyHavePassed) {
    row_.obtained_at = system_now_ - 59min;
    row_.expires_at = system_now_ + 1min;
    auto got = access();
    ASSERT_TRUE(got);
    EXPECT_LT(got->until_refresh, Millis(0));
}

TEST_F(StoredAccessTest, NoTokenNoExpiryOrTheRejectedTokenGiveNothing) {
    EXPECT_FALSE(access(Secret("stored-token")));
    auto without_expiry = row_;
    without_expiry.expires_at.reset();
    EXPECT_FALSE(stored_access(without_expiry, Secret(), now_, system_now_));
    auto empty = row_;
    empty.access_token = Secret();
    EXPECT_FALSE(stored_access(empty, Secret(), now_, system_now_));
}

TEST_F(StoredAccessTest, ATokenWithOneSecondOrLessLeftGivesNothing) {
    row_.expires_at = system_now_ + 1s;
    EXPECT_FALSE(access());
    row_.expires_at = system_now_ - 1min;
    EXPECT_FALSE(access());
    row_.expires_at = system_now_ + 2s;
    EXPECT_TRUE(access());
}

TEST_F(StoredAccessTest, LifetimeIsAtLeastOneSecond) {
    row_.obtained_at = *row_.expires_at;  // a clock that jumped
    auto got = access();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->lifetime, 1s);
}

}  // namespace
}  // namespace mb::oauth
