// HTTP Basic authentication (RFC 7617): the Proxy-Authorization value for a user and password.
// Pure; the result holds the password (base64 is no protection), so it is a Secret.
#pragma once

#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::http {

// "Basic " base64(user ":" password), the bytes sent as they are (UTF-8 in practice, which is
// what a challenge's charset="UTF-8" asks for). A user-id with ':' or a control character cannot
// be sent (RFC 7617 §2) and is an error.
Result<Secret> basic_authorization(std::string_view username, const Secret& password);

}  // namespace mb::protocol::http
