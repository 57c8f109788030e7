// `mailbridge auth ACCOUNT [--login USER] --config FILE`: interactive authorization of one login
// of an authorization_code or device_code account. Code flow: prints the URL (and opens a browser
// when a display is set), catches the loopback redirect, checks state, redeems the code with the
// PKCE verifier. Device flow: prints the user code and URL and polls. Either way the tokens go to
// the token store (state_dir/tokens.sqlite), where a running daemon picks them up at the login's
// next sign-in (it re-reads a login's row whenever it has no usable token).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace mb::cli {

// Exit status: 0 authorized and stored, 1 the flow failed, 2 configuration or usage error.
int auth_command(const std::filesystem::path& config_path, const std::string& account,
                 const std::optional<std::string>& login, std::chrono::seconds timeout);

}  // namespace mb::cli
