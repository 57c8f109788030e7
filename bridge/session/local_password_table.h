// The per-login password table of a "*@domain" account (`local_passwords`): one "login:hash"
// line per login, # comments and blank lines allowed. Pure parsing; errors name the line, never
// its content (it holds password hashes).
#pragma once

#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::session {

// The hash listed for `login` (ASCII case-insensitive), an empty Secret when it is not listed, or
// an error for a malformed table.
Result<Secret> find_login_hash(std::string_view table, std::string_view login);

}  // namespace mb::session
