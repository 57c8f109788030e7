// "Did you mean …?" for misspelt configuration keys and enum values: the closest candidate by
// edit distance, if it is close enough to be a likely typo.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mb::config {

// Edit distance counting insertions, deletions, substitutions and swaps of neighbouring
// characters (optimal string alignment), case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to word, when at most 2 edits away and closer than half its length.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);

}  // namespace mb::config
