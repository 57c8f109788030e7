// judge_failure (see token_retry.h).
#include "bridge/oauth/token_retry.h"

namespace mb::oauth {

RetryVerdict judge_failure(const RetryPolicy& policy, int retries, bool transient,
                           std::optional<std::chrono::seconds> retry_after) {
    RetryVerdict verdict;
    if (!transient) return verdict;
    verdict.retry_in = retry_delay(policy, retries + 1, retry_after);
    if (verdict.retry_in) return verdict;
    if (retries > 0)
        verdict.give_up_note = " (gave up after " + std::to_string(retries + 1) + " attempts)";
    else if (retry_after)
        verdict.give_up_note =
            " (the server asks to wait " + std::to_string(retry_after->count()) + " s)";
    return verdict;
}

}  // namespace mb::oauth
