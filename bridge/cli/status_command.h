// `mailbridge status [--json] --config FILE`: asks the running daemon's health endpoint (the
// config's health_listen) for /readyz and prints a table of listeners, accounts and logins,
// proxies and the cache (or the JSON, with "all_ready" added). Exit 0 when every listener is up
// and no login needs authorization or is failing, 1 otherwise, 2 when the daemon cannot be
// reached (the message names the address tried) or the config is unusable.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace mb::cli {

int status_command(const std::filesystem::path& config_path, bool json);

// The rule behind the exit status, on a /readyz document.
bool status_all_ready(const nlohmann::json& readyz);

// The table for a /readyz document; `now_unix` turns expiry times into "expires in".
std::string status_table(const nlohmann::json& readyz, std::int64_t now_unix,
                         const std::string& address);

}  // namespace mb::cli
