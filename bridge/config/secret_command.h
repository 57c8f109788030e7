// Runs the program of a `{ command = [...] }` secret: no shell, stdin from /dev/null, stdout
// captured (bounded), stderr kept only for the error message, killed when it overruns its time.
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

// The command's stdout, exactly as printed, when it exits with status 0. Errors name the program,
// the exit status or signal and the first line of stderr; they never contain stdout.
Result<Secret> run_secret_command(const std::vector<std::string>& argv,
                                  const CommandLimits& limits = {});

}  // namespace mb::config
