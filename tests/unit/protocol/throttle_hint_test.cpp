// suggested_backoff: Microsoft's wording, other letter cases and spacing, missing and hostile
// figures (signs, fractions, units glued on, digits without end), and the one-day ceiling.
#include "protocol/throttle_hint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mb::protocol {
namespace {

using std::chrono::milliseconds;

TEST(ThrottleHint, ReadsMicrosoftsWording) {
    EXPECT_EQ(suggested_backoff("Request is throttled. Suggested Backoff Time: 256625"),
              milliseconds(256625));
    EXPECT_EQ(
        suggested_backoff("Request is throttled. Suggested Backoff Time: 299499 milliseconds"),
        milliseconds(299499));
    EXPECT_EQ(suggested_backoff("4.7.0 Suggested Backoff Time: 3000."), milliseconds(3000));
    EXPECT_EQ(suggested_backoff("suggested backoff time:\t 0"), milliseconds(0));
    EXPECT_EQ(suggested_backoff("SUGGESTED BACKOFF TIME:42"), milliseconds(42));
    // The first label counts, even when a later one would parse.
    EXPECT_EQ(suggested_backoff("Suggested Backoff Time: 7; Suggested Backoff Time: 9"),
              milliseconds(7));
}

TEST(ThrottleHint, MissingOrGarbageIsNoHint) {
    for (const std::string& text : std::vector<std::string>{
             "", "Request is throttled.", "Suggested Backoff Time",
             "Suggested Backoff Time:", "Suggested Backoff Time:   ", "Suggested Backoff Time: abc",
             "Suggested Backoff Time: -5", "Suggested Backoff Time: +5",
             "Suggested Backoff Time: 12.5", "Suggested Backoff Time: 1,5",
             "Suggested Backoff Time: 12ms", "Suggested Backoff Time: 0x10",
             "Suggested Backoff Time - 300", "Suggested  Backoff Time: 300",
             std::string("Suggested Backoff Time: \0"
                         "5",
                         26)})
        EXPECT_FALSE(suggested_backoff(text)) << text;
}

TEST(ThrottleHint, HugeFiguresStopAtOneDay) {
    EXPECT_EQ(suggested_backoff("Suggested Backoff Time: 86400000"), kMaxSuggestedBackoff);
    EXPECT_EQ(suggested_backoff("Suggested Backoff Time: 86400001"), kMaxSuggestedBackoff);
    EXPECT_EQ(suggested_backoff("Suggested Backoff Time: 99999999999999999999999999999999999999"),
              kMaxSuggestedBackoff);
    EXPECT_EQ(suggested_backoff("Suggested Backoff Time: " + std::string(100000, '9')),
              kMaxSuggestedBackoff);
    EXPECT_EQ(suggested_backoff("Suggested Backoff Time: 000000000000000000000000001"),
              milliseconds(1));
}

TEST(ThrottleHint, EveryPrefixOfAHintIsSafe) {
    const std::string full = "NO Request is throttled. Suggested Backoff Time: 256625 ms";
    for (std::size_t n = 0; n <= full.size(); ++n) {
        const auto hint = suggested_backoff(std::string_view(full).substr(0, n));
        if (hint) {
            EXPECT_LE(*hint, milliseconds(256625)) << n;
        }
    }
}

}  // namespace
}  // namespace mb::protocol
