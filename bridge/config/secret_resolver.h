// Turning a configured SecretSource into the Secret it names (literal, environment variable, file,
// command or local-password hash), and the cheap availability check the loader runs.
// resolve_secret BLOCKS (file reads, commands): callers run it on a worker thread.
#pragma once

#include "bridge/config/config_model.h"
#include "bridge/config/secret_command.h"
#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::config {

// Files larger than this are not secrets; reading one is an error.
inline constexpr std::size_t max_secret_file_size = 64 * 1024;

// literal → the value; env → the variable (error if unset); file → its contents; command → its
// stdout (run with a minimal environment plus source.command_env, see run_secret_command); hash →
// the hash text (verified elsewhere); none → an empty Secret. File and command values lose ONE
// trailing newline ("\n" or "\r\n"); an empty env/file/command value is an error. Every non-empty
// value is registered with mb::log::register_secret. Errors name the variable, path or program,
// never the value.
Result<Secret> resolve_secret(const SecretSource& source, const CommandLimits& limits = {});

// True for the `local_password = { hash = "…" }` form.
bool is_local_password_hash(const SecretSource& source);

// Without reading or running anything: the env variable is set, the file exists and is readable,
// the command's program is found in PATH (or at its path) and is executable.
Result<void> check_secret_available(const SecretSource& source);

}  // namespace mb::config
