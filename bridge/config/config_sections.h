// Internal to mb_config: reads each kind of table ([daemon], [[server]], [[proxy]], [[account]])
// into its settings struct and checks what can be checked within that one table (required keys,
// ranges, addresses, files, secrets, keys that need each other). Checks across tables live in
// config_cross_checks.
#pragma once

#include <filesystem>

#include "bridge/config/config_model.h"
#include "bridge/config/toml_table_reader.h"

namespace mb::config {

// The [daemon] defaults with state_dir resolved against base_dir (used when [daemon] is absent).
DaemonSettings default_daemon_settings(const std::filesystem::path& base_dir);

// Each reads every key of its table, reports problems through the reader (unknown keys included)
// and returns the settings with defaults where keys are absent or wrong.
DaemonSettings read_daemon(TableReader& reader, const std::filesystem::path& base_dir);
ServerSettings read_server(TableReader& reader);
ProxySettings read_proxy(TableReader& reader);
AccountSettings read_account(TableReader& reader);

// Gives every { command = [...] } secret of config the names in [daemon] secret_command_env, so
// whoever resolves it passes those variables on (call once all tables are read).
void pass_secret_command_env(Config& config);

}  // namespace mb::config
