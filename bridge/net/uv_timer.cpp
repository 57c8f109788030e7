// UvTimer (see uv_timer.h). The callback is taken out of the timer (one-shot) or copied (repeating)
// before it runs, so it may destroy, restart or stop the timer that called it.
#include "bridge/net/uv_timer.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

namespace mb::net {
namespace {

std::uint64_t to_uv_ms(std::chrono::milliseconds ms) {
    return static_cast<std::uint64_t>(std::max<std::chrono::milliseconds::rep>(ms.count(), 0));
}

}  // namespace

Result<void> UvTimer::start(std::chrono::milliseconds delay, std::function<void()> on_fire) {
    return arm(delay, std::chrono::milliseconds(0), std::move(on_fire));
}

Result<void> UvTimer::repeat(std::chrono::milliseconds interval, std::function<void()> on_fire) {
    interval = std::max(interval, std::chrono::milliseconds(1));
    return arm(interval, interval, std::move(on_fire));
}

void UvTimer::stop() {
    if (handle_.is_open()) uv_timer_stop(handle_.get());
    on_fire_ = nullptr;
}

bool UvTimer::is_active() const {
    return handle_.is_open() && uv_is_active(handle_.as_handle()) != 0;
}

void UvTimer::unref() {
    unref_ = true;
    if (handle_.is_open()) uv_unref(handle_.as_handle());
}

void UvTimer::close(std::function<void()> on_closed) {
    on_fire_ = nullptr;
    if (!handle_.get() && on_closed && !open()) {
        on_closed();  // libuv refused a handle (it never does): nothing to wait for
        return;
    }
    handle_.close(std::move(on_closed));
}

Result<void> UvTimer::open() {
    if (handle_.is_open()) return {};
    int rc = handle_.open([this](uv_timer_t* timer) { return uv_timer_init(loop_, timer); });
    if (rc < 0) return make_error(std::string("cannot create a timer: ") + uv_strerror(rc));
    handle_.get()->data = this;
    if (unref_) uv_unref(handle_.as_handle());
    return {};
}

Result<void> UvTimer::arm(std::chrono::milliseconds timeout, std::chrono::milliseconds interval,
                          std::function<void()> on_fire) {
    if (auto opened = open(); !opened) return opened;
    on_fire_ = std::move(on_fire);
    int rc =
        uv_timer_start(handle_.get(), &UvTimer::on_timer, to_uv_ms(timeout), to_uv_ms(interval));
    if (rc < 0) {
        on_fire_ = nullptr;
        return make_error(std::string("cannot start a timer: ") + uv_strerror(rc));
    }
    return {};
}

void UvTimer::on_timer(uv_timer_t* handle) {
    auto* self = static_cast<UvTimer*>(handle->data);
    if (!self || !self->on_fire_) return;
    if (uv_timer_get_repeat(handle) == 0) {
        std::function<void()> on_fire = std::exchange(self->on_fire_, nullptr);
        on_fire();
        return;
    }
    std::function<void()> on_fire = self->on_fire_;
    on_fire();
}

}  // namespace mb::net
