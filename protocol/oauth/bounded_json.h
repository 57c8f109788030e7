// Parsing of JSON objects received from OAuth2 servers, with hard limits: the text size and the
// nesting depth are checked before nlohmann_json builds anything, so hostile answers (huge, deeply
// nested, not an object) end as an ordinary error. Pure; used by the token and discovery parsers.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace mb::protocol::oauth {

// Largest answer body accepted from a token or discovery endpoint. Microsoft tokens are 1.5-3 KB
// and discovery documents a few KB; 64 KiB leaves room for id_tokens and long metadata.
inline constexpr std::size_t kMaxJsonBytes = 64 * 1024;
// Deepest nesting of arrays and objects (discovery documents use 2).
inline constexpr std::size_t kMaxJsonDepth = 16;

// The body as a JSON object. `what` names the document in errors ("token response").
Result<nlohmann::json> parse_bounded_json_object(std::string_view body, std::string_view what);

// The member `name` when it is a string; nullopt when absent or null; an error for other types.
Result<std::optional<std::string>> optional_string_member(const nlohmann::json& object,
                                                          std::string_view name,
                                                          std::string_view what);

}  // namespace mb::protocol::oauth
