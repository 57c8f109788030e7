// TokenWaiters and TokenWait on a real loop: answers arrive from a later loop turn, in order, not
// to cancelled or destroyed waits, and a callback may destroy the waiters it was called from.
#include "bridge/oauth/token_waiters.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace mb::oauth {
namespace {

class TokenWaitersTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
    void TearDown() override {
        waiters_.reset();
        uv_run(&loop_, UV_RUN_DEFAULT);
        EXPECT_EQ(uv_loop_close(&loop_), 0);
    }

    // A waiter recording what it got under `name`, and the wait owning it.
    std::pair<std::shared_ptr<TokenWaiter>, TokenWait> waiter(const std::string& name) {
        auto shared = std::make_shared<TokenWaiter>(TokenWaiter{[this, name](const auto& result) {
            seen_.push_back(name + "=" +
                            (result ? result->value.reveal() : result.error().message));
        }});
        TokenWait wait(shared);
        return {std::move(shared), std::move(wait)};
    }

    static AccessToken token(const std::string& value) {
        AccessToken token;
        token.value = Secret(value);
        return token;
    }

    uv_loop_t loop_{};
    std::unique_ptr<TokenWaiters> waiters_ = std::make_unique<TokenWaiters>(&loop_);
    std::vector<std::string> seen_;
};

TEST_F(TokenWaitersTest, AnswersArriveFromTheLoopInOrder) {
    auto [a, wait_a] = waiter("a");
    auto [b, wait_b] = waiter("b");
    waiters_->answer(a, token("t1"));
    waiters_->answer(b, make_error("no token"));
    EXPECT_TRUE(seen_.empty());
    EXPECT_TRUE(wait_a.pending());
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(seen_, (std::vector<std::string>{"a=t1", "b=no token"}));
    EXPECT_FALSE(wait_a.pending());
    EXPECT_FALSE(wait_b.pending());
}

TEST_F(TokenWaitersTest, AnswerAllEmptiesTheList) {
    auto [a, wait_a] = waiter("a");
    auto [b, wait_b] = waiter("b");
    std::vector<std::shared_ptr<TokenWaiter>> list{a, b};
    waiters_->answer_all(list, token("t"));
    EXPECT_TRUE(list.empty());
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(seen_, (std::vector<std::string>{"a=t", "b=t"}));
}

TEST_F(TokenWaitersTest, CancelledAndDestroyedWaitsHearNothing) {
    auto [a, wait_a] = waiter("a");
    auto [b, wait_b] = waiter("b");
    {
        auto [c, wait_c] = waiter("c");
        waiters_->answer(c, token("t"));
    }
    waiters_->answer(a, token("t"));
    waiters_->answer(b, token("t"));
    wait_a.cancel();
    EXPECT_FALSE(wait_a.pending());
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(seen_, std::vector<std::string>{"b=t"});
}

TEST_F(TokenWaitersTest, ACallbackMayCancelALaterWait) {
    auto [b, wait_b] = waiter("b");
    auto a = std::make_shared<TokenWaiter>(TokenWaiter{[&, w = &wait_b](const auto&) {
        seen_.push_back("a");
        w->cancel();
    }});
    TokenWait wait_a(a);
    waiters_->answer(a, token("t"));
    waiters_->answer(b, token("t"));
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(seen_, std::vector<std::string>{"a"});
}

TEST_F(TokenWaitersTest, ACallbackMayDestroyTheWaiters) {
    auto a = std::make_shared<TokenWaiter>(TokenWaiter{[&](const auto&) {
        seen_.push_back("a");
        waiters_.reset();
    }});
    TokenWait wait_a(a);
    auto [b, wait_b] = waiter("b");
    waiters_->answer(a, token("t"));
    waiters_->answer(b, token("t"));
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(seen_, std::vector<std::string>{"a"});
}

TEST_F(TokenWaitersTest, DestroyingTheWaitersDropsQueuedAnswers) {
    auto [a, wait_a] = waiter("a");
    waiters_->answer(a, token("t"));
    waiters_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_TRUE(seen_.empty());
}

TEST_F(TokenWaitersTest, AMovedWaitKeepsItsWaiter) {
    auto [a, wait_a] = waiter("a");
    TokenWait moved = std::move(wait_a);
    EXPECT_TRUE(moved.pending());
    waiters_->answer(a, token("t"));
    TokenWait other;
    other = std::move(moved);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(seen_, std::vector<std::string>{"a=t"});
}

}  // namespace
}  // namespace mb::oauth
