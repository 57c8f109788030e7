// UpstreamBackoff: per route (account, upstream, proxy) memory of consecutive transient login
// failures (connect refused or timed out, TLS failure, BYE or UNAVAILABLE at login, throttling,
// a proxy refusing its credentials). After each one, logins on that route fail fast for a
// growing, jittered delay (1 s, 2 s, 4 s … up to upstream_backoff_max, each ±25 %), at least what
// the server suggested, instead of hammering a struggling server; the first success resets it.
// Other routes to the same upstream (another [[proxy]], or direct) are not held back.
// Pure bookkeeping on the loop: the caller passes the time. Owned by the daemon, shared by every
// listener's sessions and kept across reloads.
#pragma once

#include <algorithm>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mb::session {

class UpstreamBackoff {
  public:
    using Clock = std::chrono::steady_clock;
    using Millis = std::chrono::milliseconds;
    // A factor in [0.75, 1.25] for each new delay (tests pass a fixed one).
    using Jitter = std::function<double()>;

    static constexpr Millis kFirstDelay{1000};
    static constexpr Millis kLongestDelay{60'000};

    explicit UpstreamBackoff(Jitter jitter = {}, Millis longest = kLongestDelay);
    // The cap (upstream_backoff_max); changes apply to the next failure.
    void set_longest(Millis longest) { longest_ = std::max(longest, kFirstDelay); }

    // One way logins of an account reach an upstream.
    struct Route {
        std::string account;
        std::string upstream;  // "host:port"
        std::string proxy;     // [[proxy]] name; empty: direct
        auto operator<=>(const Route&) const = default;
        // "alice to imap.example:993 direct" / "… through proxy corp"
        std::string describe() const;
    };

    struct Blocked {
        Millis remaining;
        int failures = 0;
        std::string last_error;
    };
    // Whether logins on `route` must wait, and how long.
    std::optional<Blocked> blocked(const Route& route, Clock::time_point now) const;
    // Whether any account waits on the route to `upstream` through `proxy` (then the early,
    // pre-login dial on that route is skipped).
    bool route_blocked(const std::string& upstream, const std::string& proxy,
                       Clock::time_point now) const;

    // Records a transient failure; returns the delay now imposed: the exponential delay, raised
    // to `suggested` (the server's own figure) when that is longer, never above the cap.
    Millis failure(const Route& route, std::string error, Clock::time_point now,
                   Millis suggested = Millis(0));
    // Forgets the route's failures; true when there were any.
    bool success(const Route& route);
    // Consecutive failures of the route (0 when none).
    int failures(const Route& route) const;

    struct State {
        Route route;
        int failures = 0;
        Millis remaining{0};  // 0: the next login may try
        std::string last_error;
    };
    // Every route with failures, for /readyz, /metrics and `mailbridge status`.
    std::vector<State> states(Clock::time_point now) const;

  private:
    struct Entry {
        int failures = 0;
        Clock::time_point retry_at;
        std::string last_error;
    };
    Jitter jitter_;
    Millis longest_;
    std::map<Route, Entry> entries_;
};

// Whether an upstream's refusal at login means "struggling, try later" rather than "wrong
// credentials": UNAVAILABLE / SYS/TEMP / 421 style answers and throttling texts.
bool is_throttling_answer(const std::string& response_code, const std::string& text);

}  // namespace mb::session
