// Fuzz target for suggested_backoff: any refusal text yields no hint or a figure within
// [0, kMaxSuggestedBackoff], and the same answer when read again, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/throttle_hint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mb::protocol;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto hint = suggested_backoff(input);
    if (hint && (hint->count() < 0 || *hint > kMaxSuggestedBackoff)) std::abort();
    if (suggested_backoff(input) != hint) std::abort();
    return 0;
}
