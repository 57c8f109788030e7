// `mailbridge hash-password`: reads a password on stdin (no echo on a terminal) and prints the
// scrypt hash to paste into `local_password = { hash = "…" }`.
#pragma once

namespace mb::cli {
int hash_password_command();
}  // namespace mb::cli
