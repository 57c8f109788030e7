// UvTimer on a real loop: one-shot and repeating callbacks, restart, stop, close with and without a
// handle, unref, and destroying the timer from inside its own callback (LoopTest's TearDown checks
// that every handle was closed and freed).
#include "bridge/net/uv_timer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "loop_fixture.h"

namespace mb::net {
namespace {

using namespace std::chrono_literals;
using testing::LoopTest;

class UvTimerTest : public LoopTest {};

TEST_F(UvTimerTest, StartRunsTheCallbackOnceAfterTheDelay) {
    UvTimer timer(&loop_);
    int fired = 0;
    const uint64_t started = uv_now(&loop_);
    uint64_t fired_at = 0;
    ASSERT_TRUE(timer.start(30ms, [&] {
        ++fired;
        fired_at = uv_now(&loop_);
    }));
    EXPECT_TRUE(timer.is_active());
    run_until([&] { return fired == 1; });
    EXPECT_GE(fired_at - started, 30u);
    EXPECT_FALSE(timer.is_active());
    run_for(60ms);
    EXPECT_EQ(fired, 1);
}

TEST_F(UvTimerTest, StartingAgainReplacesWhatWasScheduled) {
    UvTimer timer(&loop_);
    std::vector<std::string> fired;
    ASSERT_TRUE(timer.start(10ms, [&] { fired.push_back("first"); }));
    ASSERT_TRUE(timer.start(20ms, [&] { fired.push_back("second"); }));
    run_until([&] { return !fired.empty(); });
    run_for(40ms);
    EXPECT_EQ(fired, std::vector<std::string>{"second"});
}

TEST_F(UvTimerTest, StopCancelsAndIsHarmlessWhenIdle) {
    UvTimer timer(&loop_);
    timer.stop();
    bool fired = false;
    ASSERT_TRUE(timer.start(10ms, [&] { fired = true; }));
    timer.stop();
    EXPECT_FALSE(timer.is_active());
    run_for(50ms);
    EXPECT_FALSE(fired);
}

TEST_F(UvTimerTest, NegativeDelayFiresOnALaterTurnNotInsideStart) {
    UvTimer timer(&loop_);
    bool fired = false;
    ASSERT_TRUE(timer.start(-5ms, [&] { fired = true; }));
    EXPECT_FALSE(fired);
    run_until([&] { return fired; });
}

TEST_F(UvTimerTest, RepeatFiresEveryIntervalUntilStoppedFromItsCallback) {
    UvTimer timer(&loop_);
    int fired = 0;
    ASSERT_TRUE(timer.repeat(5ms, [&] {
        if (++fired == 3) timer.stop();
    }));
    run_until([&] { return fired == 3; });
    EXPECT_FALSE(timer.is_active());
    run_for(40ms);
    EXPECT_EQ(fired, 3);
}

TEST_F(UvTimerTest, ACallbackMayStartItsOwnTimerAgain) {
    UvTimer timer(&loop_);
    int fired = 0;
    std::function<void()> again = [&] {
        if (++fired < 3) {
            ASSERT_TRUE(timer.start(1ms, again));
        }
    };
    ASSERT_TRUE(timer.start(1ms, again));
    run_until([&] { return fired == 3; });
    run_for(20ms);
    EXPECT_EQ(fired, 3);
}

// The callback's captures stay alive until it returns, though the timer holding it is gone.
TEST_F(UvTimerTest, TheTimerMayBeDestroyedInsideItsOneShotCallback) {
    auto timer = std::make_unique<UvTimer>(&loop_);
    auto text = std::make_shared<std::string>("still here");
    std::string seen;
    ASSERT_TRUE(timer->start(1ms, [&timer, text, &seen] {
        timer.reset();
        seen = *text;
    }));
    text.reset();
    run_until([&] { return timer == nullptr; });
    EXPECT_EQ(seen, "still here");
}

TEST_F(UvTimerTest, TheTimerMayBeDestroyedInsideItsRepeatingCallback) {
    auto timer = std::make_unique<UvTimer>(&loop_);
    auto text = std::make_shared<std::string>("still here");
    int fired = 0;
    std::string seen;
    ASSERT_TRUE(timer->repeat(1ms, [&timer, text, &fired, &seen] {
        if (++fired < 2) return;
        timer.reset();
        seen = *text;
    }));
    text.reset();
    run_until([&] { return timer == nullptr; });
    run_for(20ms);
    EXPECT_EQ(fired, 2);
    EXPECT_EQ(seen, "still here");
}

TEST_F(UvTimerTest, DestroyingTheTimerFirstMeansTheCallbackNeverRuns) {
    bool fired = false;
    {
        UvTimer timer(&loop_);
        ASSERT_TRUE(timer.start(1ms, [&] { fired = true; }));
    }
    run_for(30ms);
    EXPECT_FALSE(fired);
}

TEST_F(UvTimerTest, AOneShotCallbackIsReleasedAfterItRan) {
    UvTimer timer(&loop_);
    auto held = std::make_shared<int>(1);
    bool fired = false;
    ASSERT_TRUE(timer.start(1ms, [held, &fired] { fired = true; }));
    EXPECT_EQ(held.use_count(), 2);
    run_until([&] { return fired; });
    EXPECT_EQ(held.use_count(), 1);
}

TEST_F(UvTimerTest, CloseStopsAndReportsFromALaterTurn) {
    UvTimer timer(&loop_);
    bool fired = false;
    bool closed = false;
    ASSERT_TRUE(timer.start(1ms, [&] { fired = true; }));
    timer.close([&] { closed = true; });
    EXPECT_FALSE(closed);
    EXPECT_FALSE(timer.is_active());
    run_until([&] { return closed; });
    run_for(10ms);
    EXPECT_FALSE(fired);
}

TEST_F(UvTimerTest, CloseReportsEvenWhenTheTimerWasNeverStarted) {
    UvTimer timer(&loop_);
    bool closed = false;
    timer.close([&] { closed = true; });
    EXPECT_FALSE(closed);
    run_until([&] { return closed; });
}

TEST_F(UvTimerTest, StartAfterCloseUsesANewHandle) {
    UvTimer timer(&loop_);
    ASSERT_TRUE(timer.start(1h, [] {}));
    timer.close();
    bool fired = false;
    ASSERT_TRUE(timer.start(1ms, [&] { fired = true; }));
    run_until([&] { return fired; });
}

TEST_F(UvTimerTest, AnUnreferencedTimerDoesNotKeepTheLoopRunning) {
    UvTimer timer(&loop_);
    timer.unref();
    ASSERT_TRUE(timer.repeat(1h, [] {}));
    EXPECT_TRUE(timer.is_active());
    EXPECT_EQ(uv_run(&loop_, UV_RUN_NOWAIT), 0);
    timer.close();
    timer.unref();
    ASSERT_TRUE(timer.start(1h, [] {}));  // a new handle is unreferenced too
    EXPECT_EQ(uv_run(&loop_, UV_RUN_NOWAIT), 0);
}

}  // namespace
}  // namespace mb::net
