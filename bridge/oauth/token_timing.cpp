// Token refresh and retry timing (see token_timing.h).
#include "bridge/oauth/token_timing.h"

#include <algorithm>

namespace mb::oauth {

std::optional<Millis> retry_delay(const RetryPolicy& policy, int retry,
                                  std::optional<std::chrono::seconds> retry_after) {
    if (retry < 1 || retry > policy.max_retries) return std::nullopt;
    if (retry_after && *retry_after > policy.max_retry_after) return std::nullopt;
    Millis delay = policy.base_delay;
    for (int i = 1; i < retry && delay < policy.max_delay; ++i) delay *= 2;
    delay = std::min(delay, policy.max_delay);
    if (retry_after) delay = std::max<Millis>(delay, *retry_after);
    return delay;
}

Millis refresh_delay(std::chrono::seconds lifetime) {
    Millis life = lifetime;
    Millis at = std::min<Millis>(life * 8 / 10, life - std::chrono::minutes(5));
    return std::max<Millis>({at, life / 2, Millis(1000)});
}

Millis expiry_margin(std::chrono::seconds lifetime) {
    return std::min<Millis>(std::chrono::seconds(30), Millis(lifetime) / 10);
}

}  // namespace mb::oauth
