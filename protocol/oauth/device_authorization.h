// The device authorization response (RFC 8628 3.2) and what a poll of the token endpoint means
// while the user has not finished (3.5). Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::oauth {

// Poll interval when the response names none (RFC 8628 3.2).
inline constexpr std::chrono::seconds kDefaultDeviceInterval{5};
// Added to the interval on every slow_down (RFC 8628 3.5).
inline constexpr std::chrono::seconds kSlowDownStep{5};

struct DeviceAuthorization {
    Secret device_code;
    std::string user_code;
    std::string verification_uri;
    std::string verification_uri_complete;  // "" when absent
    std::chrono::seconds expires_in{0};
    std::chrono::seconds interval = kDefaultDeviceInterval;
};

// Requires device_code, user_code, verification_uri (Microsoft's older "verification_url" is
// accepted too) and a positive expires_in; interval, when present, must be a positive integer.
Result<DeviceAuthorization> parse_device_authorization(std::string_view body);

// A token endpoint error while polling: keep polling (pending), poll slower (slow_down), or stop
// with a message (anything else).
enum class DevicePollVerdict { pending, slow_down, stop };
struct DevicePollOutcome {
    DevicePollVerdict verdict = DevicePollVerdict::stop;
    std::string message;  // set with stop
};
DevicePollOutcome interpret_device_poll_error(std::string_view error, std::string_view description);

}  // namespace mb::protocol::oauth
