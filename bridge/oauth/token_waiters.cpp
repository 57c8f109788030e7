// TokenWait and TokenWaiters (see token_waiters.h): answers are queued and delivered in one batch
// from a zero timer; a callback may cancel other waits or destroy the whole manager.
#include "bridge/oauth/token_waiters.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace mb::oauth {

TokenWait& TokenWait::operator=(TokenWait&& other) noexcept {
    if (this != &other) {
        cancel();
        waiter_ = std::move(other.waiter_);
    }
    return *this;
}

TokenWait::~TokenWait() {
    cancel();
}

void TokenWait::cancel() {
    if (auto waiter = waiter_.lock()) waiter->callback = nullptr;
    waiter_.reset();
}

bool TokenWait::pending() const {
    auto waiter = waiter_.lock();
    return waiter && waiter->callback != nullptr;
}

TokenWaiters::~TokenWaiters() {
    alive_.reset();
}

void TokenWaiters::answer(std::shared_ptr<TokenWaiter> waiter, Result<AccessToken> result) {
    if (!waiter->callback) return;
    queued_.emplace_back(std::move(waiter), std::move(result));
    if (auto started = timer_.start(std::chrono::milliseconds(0), [this] { deliver(); }); !started)
        spdlog::error("oauth: {} token answer(s) cannot be delivered: {}", queued_.size(),
                      started.error().message);
}

void TokenWaiters::answer_all(std::vector<std::shared_ptr<TokenWaiter>>& waiters,
                              const Result<AccessToken>& result) {
    auto taken = std::move(waiters);
    waiters.clear();
    for (auto& waiter : taken) answer(std::move(waiter), result);
}

void TokenWaiters::deliver() {
    auto batch = std::move(queued_);
    queued_.clear();
    std::weak_ptr<bool> alive = alive_;
    for (auto& [waiter, result] : batch) {
        if (!waiter->callback) continue;  // cancelled meanwhile
        auto callback = std::move(waiter->callback);
        waiter->callback = nullptr;
        callback(result);
        if (alive.expired()) return;  // a callback destroyed the waiters (and their manager)
    }
}

}  // namespace mb::oauth
