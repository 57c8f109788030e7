// UpstreamBackoff: per (account, upstream) memory of consecutive transient login failures
// (connect refused or timed out, TLS failure, BYE or UNAVAILABLE at login, throttling). After
// each one, logins for that pair fail fast for a growing, jittered delay (1 s, 2 s, 4 s … up to
// 60 s, each ±25 %) instead of hammering a struggling server; the first success resets it.
// Pure bookkeeping on the loop: the caller passes the time. Owned by the daemon, shared by every
// listener's sessions and kept across reloads.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
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

    struct Blocked {
        Millis remaining;
        int failures = 0;
        std::string last_error;
    };
    // Whether logins of `account` to `upstream` must wait, and how long.
    std::optional<Blocked> blocked(const std::string& account, const std::string& upstream,
                                   Clock::time_point now) const;
    // Whether any account waits for `upstream` (then the early, pre-login dial is skipped).
    bool upstream_blocked(const std::string& upstream, Clock::time_point now) const;

    // Records a transient failure; returns the delay now imposed.
    Millis failure(const std::string& account, const std::string& upstream, std::string error,
                   Clock::time_point now);
    // Forgets the pair's failures; true when there were any.
    bool success(const std::string& account, const std::string& upstream);
    // Consecutive failures of the pair (0 when none).
    int failures(const std::string& account, const std::string& upstream) const;

    struct State {
        std::string account;
        std::string upstream;
        int failures = 0;
        Millis remaining{0};  // 0: the next login may try
        std::string last_error;
    };
    // Every pair with failures, for /readyz, /metrics and `mailbridge status`.
    std::vector<State> states(Clock::time_point now) const;

  private:
    struct Entry {
        int failures = 0;
        Clock::time_point retry_at;
        std::string last_error;
    };
    Jitter jitter_;
    Millis longest_;
    std::map<std::pair<std::string, std::string>, Entry> entries_;
};

// Whether an upstream's refusal at login means "struggling, try later" rather than "wrong
// credentials": UNAVAILABLE / SYS/TEMP / 421 style answers and throttling texts.
bool is_throttling_answer(const std::string& response_code, const std::string& text);

}  // namespace mb::session
