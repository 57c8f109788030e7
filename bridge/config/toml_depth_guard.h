// A pre-scan that refuses absurdly deep TOML before toml++ sees it. toml++ limits nested arrays and
// inline tables, but not dotted keys ("a.a.a…") or table headers, and tears deep trees down
// recursively: 100 000 levels overflow the stack. The configuration itself needs 3 levels.
#pragma once

#include <optional>
#include <string_view>

#include "bridge/config/diagnostic.h"

namespace mb::config {

// Deeper than this is refused; far above any real mailbridge configuration.
inline constexpr int max_toml_nesting = 32;

// The place where the text first nests deeper than max_depth (the last table header's components,
// open brackets, and the dotted components of every key whose value is still open, added up: an
// over-estimate), or nullopt when it stays within.
std::optional<SourcePos> find_excessive_nesting(std::string_view text,
                                                int max_depth = max_toml_nesting);

}  // namespace mb::config
