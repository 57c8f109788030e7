// Edit-distance suggestions for misspelt keys (see key_suggestion.h).
#include "bridge/config/key_suggestion.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace mb::config {
namespace {

constexpr std::size_t max_suggestion_distance = 2;
// Longer words are never typos of a configuration key; skip the quadratic work.
constexpr std::size_t max_compared_length = 64;

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment: rows i-2, i-1 and i of the distance table.
    std::vector<std::size_t> before(b.size() + 1), above(b.size() + 1), row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) above[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            row[j] = std::min({above[j] + 1, row[j - 1] + 1, above[j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]))
                row[j] = std::min(row[j], before[j - 2] + 1);
        }
        std::swap(before, above);
        std::swap(above, row);
    }
    return above[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates) {
    if (word.size() > max_compared_length) return std::nullopt;
    std::optional<std::string> best;
    std::size_t best_distance = max_suggestion_distance + 1;
    for (std::string_view candidate : candidates) {
        std::size_t distance = edit_distance(word, candidate);
        if (distance < best_distance && distance * 2 < std::max(word.size(), candidate.size())) {
            best_distance = distance;
            best = std::string(candidate);
        }
    }
    return best;
}

}  // namespace mb::config
