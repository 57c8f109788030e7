// suggested_backoff: reads a server's "Suggested Backoff Time: N" (milliseconds; Microsoft 365
// puts it in a throttled login's IMAP NO, POP3 -ERR or SMTP 4xx text) from a refusal's text.
// Pure: the caller decides what the figure means for its backoff (and caps it).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace mb::protocol {

// Figures above this (a day) are read as this: no server means to be waited for longer, and the
// caller caps it further (upstream_backoff_max).
inline constexpr std::chrono::milliseconds kMaxSuggestedBackoff{24LL * 3600 * 1000};

// The first "Suggested Backoff Time:" (any letter case, spaces or tabs before the figure) followed
// by decimal digits that end the word ("256625 milliseconds", "256625."); nullopt when missing or
// not a plain whole number ("-5", "12.5", "abc", "12ms").
std::optional<std::chrono::milliseconds> suggested_backoff(std::string_view text);

}  // namespace mb::protocol
