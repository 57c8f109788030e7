// Logging for the whole daemon: spdlog behind one redacting sink. Levels follow the contract
// (1 errors · 2 warnings · 3 info · 4 debug · 5 protocol trace). Every line passes through
// the sink's scrubber, which masks every registered secret value: the one redaction point.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

#include "protocol/result.h"

namespace mb::log {

struct Options {
    int level = 3;         // contract level 1..5
    std::string file;      // empty = stderr
    bool journal = false;  // systemd journal stream: "<N>" priority prefixes, no timestamps
};

// Installs the redacting sink as spdlog's default logger. Safe to call again (reload).
Result<void> init(const Options& options);
// Changes the level at once (SIGHUP reload). Levels outside 1..5 are clamped.
void set_level(int level);
int level();
spdlog::level::level_enum to_spdlog_level(int level);

// Secret values (passwords, tokens, client secrets) registered here are replaced by "***" in
// every log line, whatever code formatted them. Values shorter than 4 bytes are ignored. A value
// is counted: each register_secret needs its forget_secret before the value stops being masked.
// Register only what lives as long as its registration (a token until it is replaced, a resolved
// config secret): per-login values (SASL responses) are masked structurally where they are sent.
void register_secret(std::string_view value);
void forget_secret(std::string_view value);
// How many distinct values are masked now (/metrics shows it: it must not grow with logins).
std::size_t registered_secrets();
// Applies the scrubber to text (used by the sink, and by tests).
std::string scrub(std::string_view text);

}  // namespace mb::log
