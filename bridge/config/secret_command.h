// Runs the program of a `{ command = [...] }` secret: no shell, stdin from /dev/null, a minimal
// environment, stdout captured (bounded), stderr kept only for the error message, killed when it
// overruns its time.
// Blocking: callers run it on a worker thread, never on the event loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::config {

struct CommandLimits {
    std::chrono::milliseconds timeout{10'000};  // the whole run, then SIGKILL to its process group
    std::size_t max_output = 64 * 1024;         // bytes of stdout; more is an error
};

// The variables a secret command always gets from mailbridge's environment (when set there);
// PATH defaults to default_command_path when mailbridge has none.
inline constexpr const char* always_passed_env[] = {"PATH", "HOME", "LANG",   "LC_ALL",
                                                    "TZ",   "USER", "LOGNAME"};
inline constexpr const char* default_command_path = "/usr/local/bin:/usr/bin:/bin";

// The command's stdout, exactly as printed, when it exits with status 0. The child's environment
// holds always_passed_env plus the variables named in passed_env, and nothing else (so other
// `{ env = … }` secrets stay in the daemon). Errors name the program, the exit status or signal
// and the first line of stderr; they never contain stdout.
Result<Secret> run_secret_command(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& passed_env,
                                  const CommandLimits& limits = {});

}  // namespace mb::config
