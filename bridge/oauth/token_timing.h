// When to refresh a token, when to stop handing it out, and how long to wait before retrying a
// failed fetch. Pure arithmetic over durations, so the schedule is unit-tested without a clock.
#pragma once

#include <chrono>
#include <optional>

namespace mb::oauth {

using Millis = std::chrono::milliseconds;

struct RetryPolicy {
    int max_retries = 3;                        // after the first attempt
    Millis base_delay{1000};                    // doubled for every further retry
    Millis max_delay{30'000};                   // cap of the doubled delay
    std::chrono::seconds max_retry_after{120};  // a longer Retry-After ends the retries
};

// Delay before retry number `retry` (1-based): base·2^(retry-1) capped at max_delay, but never
// shorter than the server's Retry-After. nullopt = give up (retries used up, or the server asks
// for a wait beyond max_retry_after).
std::optional<Millis> retry_delay(const RetryPolicy& policy, int retry,
                                  std::optional<std::chrono::seconds> retry_after);

// Refresh ahead of expiry at 80% of the lifetime or 5 minutes before expiry, whichever is
// earlier, but never before half the lifetime (a 2-minute token is refreshed after 1 minute, not
// at once) and never sooner than 1 s (a token with expires_in 0 cannot cause a refresh storm).
Millis refresh_delay(std::chrono::seconds lifetime);

// A token is handed out only while more than min(30 s, lifetime/10) of it is left, so a session
// never starts upstream authentication with a token about to die.
Millis expiry_margin(std::chrono::seconds lifetime);

}  // namespace mb::oauth
