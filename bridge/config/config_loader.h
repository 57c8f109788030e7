// Loading and validating a mailbridge TOML configuration (schema: CONTRACT.md, every key shown in
// config/mailbridge.example.toml) into the typed Config. Reports every problem found, each with its
// line and column; a Config is returned only when there are none. Secrets are checked for
// availability (env set, file readable, program executable) but not resolved: see
// secret_resolver.h.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/config/diagnostic.h"

namespace mb::config {

// Larger files are refused unread: a mailbridge configuration is a few kilobytes.
inline constexpr std::size_t max_config_file_size = 1024 * 1024;

struct LoadResult {
    std::optional<Config> config;      // set exactly when problems is empty
    std::vector<Diagnostic> problems;  // sorted by line and column
};

// Reads and validates the file. Diagnostics name the file as given.
LoadResult load_config_file(const std::filesystem::path& path);

// Validates text as if read from source: source names the file in diagnostics, and relative paths
// in the configuration (state_dir, log_file, ca_file, local_cert, local_key, secret files and
// programs) are resolved against its directory. Config::source is source made absolute.
LoadResult load_config_text(std::string_view text, const std::filesystem::path& source);

}  // namespace mb::config
