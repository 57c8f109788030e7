// The "AUTH <mechanism> [<initial response>]" command that POP3 (RFC 5034) and SMTP submission
// (RFC 4954) share: the initial response goes inline when the whole line fits the protocol's
// limit (an empty one as "="), else after the server's first challenge. Pure; credentials are
// Secret.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "protocol/secret.h"

namespace mb::protocol::sasl {

struct AuthCommand {
    // "AUTH <mech> <ir>\r\n", or "AUTH <mech>\r\n" when the response waits or there is none.
    Secret first_line;
    // The initial response (no CRLF) to send after the server's first challenge; nullopt when it
    // went inline or there is none.
    std::optional<Secret> deferred_response;
    bool carries_credentials = false;  // first_line holds the initial response
};

AuthCommand auth_command(std::string_view mechanism, const std::optional<Secret>& initial_response,
                         std::size_t max_inline_line);

}  // namespace mb::protocol::sasl
