// Bounded JSON object parsing for OAuth2 answers (see bounded_json.h).
#include "protocol/oauth/bounded_json.h"

namespace mb::protocol::oauth {
namespace {

// Deepest bracket nesting outside strings; stops counting past `limit`. Escapes inside strings are
// skipped so "\"[" does not count. Malformed text is left to the real parser.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace

Result<nlohmann::json> parse_bounded_json_object(std::string_view body, std::string_view what) {
    std::string name(what);
    if (body.size() > kMaxJsonBytes)
        return make_error(name + " is larger than " + std::to_string(kMaxJsonBytes / 1024) +
                          " KiB; the server is not an OAuth2 endpoint or misbehaves");
    if (nesting_depth(body, kMaxJsonDepth) > kMaxJsonDepth)
        return make_error(name + " nests JSON deeper than " + std::to_string(kMaxJsonDepth) +
                          " levels; the server is not an OAuth2 endpoint or misbehaves");
    nlohmann::json parsed = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    if (parsed.is_discarded())
        return make_error(name + " is not valid JSON; check that the URL names an OAuth2 endpoint");
    if (!parsed.is_object())
        return make_error(name +
                          " is JSON but not an object; check that the URL names an "
                          "OAuth2 endpoint");
    return parsed;
}

Result<std::optional<std::string>> optional_string_member(const nlohmann::json& object,
                                                          std::string_view name,
                                                          std::string_view what) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return std::optional<std::string>{};
    if (!it->is_string())
        return make_error(std::string(what) + ": \"" + std::string(name) + "\" is not a string");
    return std::optional<std::string>{it->get<std::string>()};
}

}  // namespace mb::protocol::oauth
