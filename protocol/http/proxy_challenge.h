// Proxy-Authenticate parsing (RFC 9110 §11.3): every challenge in every header value, each with
// its scheme and either a token68 or auth-params (quoted strings unescaped). Schemes are kept
// whatever they are; choosing one to answer is ProxyAuthenticator's job. Pure; results are owned
// copies, bounded by the limits below.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace mb::protocol::http {

// Challenges across all Proxy-Authenticate headers of one response.
inline constexpr std::size_t kMaxChallenges = 16;
// auth-params in one challenge.
inline constexpr std::size_t kMaxChallengeParams = 32;

struct AuthParam {
    std::string name;   // lower case
    std::string value;  // unquoted, escapes resolved
};

struct Challenge {
    std::string scheme;   // as sent, e.g. "Digest"
    std::string token68;  // e.g. for "Negotiate abc=="; empty when params are used
    std::vector<AuthParam> params;

    bool is(std::string_view scheme_name) const;  // case-insensitive
    std::optional<std::string_view> param(std::string_view name) const;
};

// Parses the values of all Proxy-Authenticate headers of one response, in order. Empty list
// elements are allowed; a syntax error, a repeated parameter name or too many challenges or
// parameters is an error naming the problem (never echoing the input).
Result<std::vector<Challenge>> parse_challenges(const std::vector<std::string_view>& values);

}  // namespace mb::protocol::http
