// `mailbridge cache ACCOUNT [MAILBOX] [--login USER] --config FILE`: prints what the metadata
// cache holds — the account's mailboxes (per login) or one mailbox's messages — from
// state_dir/cache.sqlite, beside a running daemon (WAL lets a reader in while it writes).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mb::cli {

// Returns the exit status: 0 listed, 1 no cache database (or it cannot be read), 2 configuration
// error or unknown account.
int cache_command(const std::filesystem::path& config_path, const std::string& account,
                  const std::optional<std::string>& mailbox,
                  const std::optional<std::string>& login);

// `text` with control characters, C1 controls and invalid UTF-8 escaped (\xNN, \u0080…), so a
// hostile subject cannot drive the terminal.
std::string terminal_safe(std::string_view text);

}  // namespace mb::cli
