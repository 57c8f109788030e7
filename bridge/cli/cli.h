// The mailbridge command line (CLI11): parses arguments and dispatches to one command.
// Returns the process exit status (see exit_codes.h).
#pragma once

namespace mb::cli {
int run(int argc, char** argv);
}  // namespace mb::cli
