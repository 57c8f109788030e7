// What a failed token fetch does next: wait and try again (transient failures, while retries are
// left and the server's Retry-After is acceptable), or give up with a note for the message.
// Pure, so every case is unit-tested without a loop.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "bridge/oauth/token_timing.h"

namespace mb::oauth {

struct RetryVerdict {
    std::optional<Millis> retry_in;  // set: retry after this wait
    std::string give_up_note;        // when giving up: appended to the failure message, or ""
};

// `retries` is the number of retries already made for this fetch.
RetryVerdict judge_failure(const RetryPolicy& policy, int retries, bool transient,
                           std::optional<std::chrono::seconds> retry_after);

}  // namespace mb::oauth
