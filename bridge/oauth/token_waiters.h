// The sessions waiting for a token and how their answers reach them: every answer is delivered
// from a later loop turn (a zero timer), never inside the call that produced it. A TokenWait owns
// one waiter: destroying or cancelling it guarantees its callback never runs.
// Owned by the TokenManager; the TokenManager's entries keep the waiters of their fetch.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "bridge/net/uv_timer.h"
#include "bridge/oauth/access_token.h"
#include "protocol/result.h"

namespace mb::oauth {

using TokenCallback = std::function<void(const Result<AccessToken>&)>;

struct TokenWaiter {
    TokenCallback callback;  // null once delivered or cancelled
};

// A waiting get_token call. Destroying or cancelling it removes the waiter: the callback will
// not run. Movable, not copyable.
class TokenWait {
  public:
    TokenWait() = default;
    explicit TokenWait(std::weak_ptr<TokenWaiter> waiter) : waiter_(std::move(waiter)) {}
    TokenWait(TokenWait&&) noexcept = default;
    TokenWait& operator=(TokenWait&& other) noexcept;
    TokenWait(const TokenWait&) = delete;
    TokenWait& operator=(const TokenWait&) = delete;
    ~TokenWait();

    void cancel();
    // True until the callback ran or the wait was cancelled.
    bool pending() const;

  private:
    std::weak_ptr<TokenWaiter> waiter_;
};

class TokenWaiters {
  public:
    explicit TokenWaiters(uv_loop_t* loop) : timer_(loop) {}
    TokenWaiters(const TokenWaiters&) = delete;
    TokenWaiters& operator=(const TokenWaiters&) = delete;
    // Answers not delivered yet are dropped without calling anyone.
    ~TokenWaiters();

    // Queues `result` for `waiter` (ignored when it was cancelled); delivered from the loop.
    void answer(std::shared_ptr<TokenWaiter> waiter, Result<AccessToken> result);
    // Answers every waiter of `waiters` with `result` and empties the list.
    void answer_all(std::vector<std::shared_ptr<TokenWaiter>>& waiters,
                    const Result<AccessToken>& result);

  private:
    void deliver();

    net::UvTimer timer_;
    std::vector<std::pair<std::shared_ptr<TokenWaiter>, Result<AccessToken>>> queued_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mb::oauth
