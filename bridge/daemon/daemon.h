// The daemon: owns the one libuv loop, the listeners, the health endpoint, signal handling
// (SIGHUP reload, SIGTERM/SIGINT graceful stop) and the current configuration.
#pragma once

#include <filesystem>
#include <optional>

namespace mb::daemon {

// Runs the daemon in the foreground until SIGTERM/SIGINT. Returns the process exit status:
// 0 after a graceful stop, 1 on a runtime failure, 2 when the configuration is invalid.
int run_daemon(const std::filesystem::path& config_path, std::optional<int> log_level_override);

}  // namespace mb::daemon
