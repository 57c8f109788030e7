// The rule every OAuth2 endpoint URL must pass before the bridge sends a secret to it: https, or
// plain http only to a loopback address (127.0.0.1, localhost, [::1]) for local test servers.
// Pure; used for configured, preset and discovered endpoints alike.
#pragma once

#include <string_view>

#include "protocol/result.h"

namespace mb::protocol::oauth {

// `what` names the URL in the error ("token_endpoint"). Refuses: other schemes, an empty host,
// credentials in the URL, fragments, spaces and control characters.
Result<void> check_endpoint_url(std::string_view url, std::string_view what);

}  // namespace mb::protocol::oauth
