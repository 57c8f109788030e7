// Reading "Suggested Backoff Time: N" from a refusal (see throttle_hint.h).
#include "protocol/throttle_hint.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace mb::protocol {

namespace {

constexpr std::string_view kLabel = "suggested backoff time:";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Case-insensitive search for kLabel; text.size() when absent.
std::size_t find_label(std::string_view text) {
    const auto it = std::search(
        text.begin(), text.end(), kLabel.begin(), kLabel.end(),
        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    return it == text.end() ? text.size() : static_cast<std::size_t>(it - text.begin());
}

}  // namespace

std::optional<std::chrono::milliseconds> suggested_backoff(std::string_view text) {
    const std::size_t label = find_label(text);
    if (label == text.size()) return std::nullopt;
    std::size_t at = label + kLabel.size();
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    const std::size_t digits_from = at;
    const std::int64_t ceiling = kMaxSuggestedBackoff.count();
    std::int64_t value = 0;
    for (; at < text.size() && is_digit(text[at]); ++at)
        value = std::min<std::int64_t>(value * 10 + (text[at] - '0'), ceiling);
    if (at == digits_from) return std::nullopt;
    // "12.5", "12,5", "12ms": not the plain figure this reader knows ("12." ends a sentence).
    if (at < text.size() && std::isalnum(static_cast<unsigned char>(text[at]))) return std::nullopt;
    if (at + 1 < text.size() && (text[at] == '.' || text[at] == ',') && is_digit(text[at + 1]))
        return std::nullopt;
    return std::chrono::milliseconds(value);
}

}  // namespace mb::protocol
