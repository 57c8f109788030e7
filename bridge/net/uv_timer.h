// UvTimer: one libuv timer with a std::function callback, in place of a uv_timer_start call and a
// static trampoline at every use. The handle is opened on first use and freed in its close
// callback (UvHandle). Destroying the UvTimer, also from inside its own callback, guarantees the
// callback never runs again. Not movable: the handle points back at it.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>

#include "bridge/net/uv_handle.h"
#include "protocol/result.h"

namespace mb::net {

class UvTimer {
  public:
    explicit UvTimer(uv_loop_t* loop) : loop_(loop) {}
    UvTimer(const UvTimer&) = delete;
    UvTimer& operator=(const UvTimer&) = delete;
    ~UvTimer() = default;

    // Runs on_fire once, `delay` from now (a negative delay counts as 0), from the loop. Replaces
    // whatever was scheduled. Fails only when libuv refuses the handle; then nothing is scheduled.
    Result<void> start(std::chrono::milliseconds delay, std::function<void()> on_fire);
    // Runs on_fire every `interval` (at least 1 ms), the first time one interval from now.
    Result<void> repeat(std::chrono::milliseconds interval, std::function<void()> on_fire);
    // Cancels what was scheduled and drops the callback. Harmless when nothing is.
    void stop();
    // True while something is scheduled.
    bool is_active() const;
    // From now on the timer alone does not keep the loop running (uv_unref).
    void unref();
    // Stops and closes the handle. on_closed, if given, runs once from the close callback on a
    // later loop turn (a handle is made for the purpose if none was open) unless the UvTimer is
    // destroyed or started again first. A later start() opens a new handle.
    void close(std::function<void()> on_closed = {});

  private:
    Result<void> open();
    Result<void> arm(std::chrono::milliseconds timeout, std::chrono::milliseconds interval,
                     std::function<void()> on_fire);
    static void on_timer(uv_timer_t* handle);

    uv_loop_t* loop_;
    UvHandle<uv_timer_t> handle_;
    std::function<void()> on_fire_;
    bool unref_ = false;
};

}  // namespace mb::net
