// LoopTest: a fixture owning one uv loop for a test. run_until() turns the loop until a condition
// holds and fails the test if that takes longer than its limit, so every loop test is bounded.
// TearDown checks that every handle was closed and freed.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <functional>

namespace mb::net::testing {

class LoopTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

    void TearDown() override {
        // Whatever a test left open is closed here, then the loop must have nothing left.
        uv_walk(
            &loop_,
            [](uv_handle_t* handle, void*) {
                if (!uv_is_closing(handle)) {
                    ADD_FAILURE() << "a handle of type " << uv_handle_type_name(handle->type)
                                  << " was left open";
                    uv_close(handle, nullptr);
                }
            },
            nullptr);
        drain();
        EXPECT_EQ(uv_loop_close(&loop_), 0) << "the loop still has handles or requests";
    }

    // Runs the loop until done() is true (checked before every poll).
    void run_until(const std::function<bool()>& done,
                   std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        EXPECT_TRUE(turn(done, limit)) << "the loop did not reach the expected state in time";
    }

    // Runs the loop for a while regardless of progress.
    void run_for(std::chrono::milliseconds duration) {
        turn([] { return false; }, duration);
    }

    // Runs until nothing is left to do (closes, cancelled requests), bounded.
    void drain() {
        for (int i = 0; i < 2000 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
            uv_sleep(1);
        }
    }

    uv_loop_t loop_{};

  private:
    // True when done() became true before the limit.
    bool turn(const std::function<bool()>& done, std::chrono::milliseconds limit) {
        struct State {
            const std::function<bool()>* done;
            bool timed_out = false;
        } state{&done};
        uv_prepare_t check;
        uv_timer_t deadline;
        uv_prepare_init(&loop_, &check);
        uv_timer_init(&loop_, &deadline);
        check.data = &state;
        deadline.data = &state;
        uv_prepare_start(&check, [](uv_prepare_t* handle) {
            auto* s = static_cast<State*>(handle->data);
            if ((*s->done)()) uv_stop(handle->loop);
        });
        uv_timer_start(
            &deadline,
            [](uv_timer_t* handle) {
                static_cast<State*>(handle->data)->timed_out = true;
                uv_stop(handle->loop);
            },
            static_cast<uint64_t>(limit.count()), 0);
        if (!done()) uv_run(&loop_, UV_RUN_DEFAULT);
        uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
        uv_run(&loop_, UV_RUN_NOWAIT);
        return !state.timed_out;
    }
};

}  // namespace mb::net::testing
