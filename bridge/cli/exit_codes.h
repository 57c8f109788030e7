// Exit statuses of the mailbridge command line, as fixed by the contract.
#pragma once

namespace mb::cli {
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitUsage = 2;  // usage or configuration error
}  // namespace mb::cli
