// SASL PLAIN (RFC 4616): decoding what a local client sends (authzid NUL authcid NUL passwd, in
// base64) and encoding it for an upstream that takes passwords. Passwords are Secret. Pure.
#pragma once

#include <string>
#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::sasl {

struct PlainCredentials {
    std::string authzid;  // empty when the client acts as itself
    std::string authcid;  // the login name
    Secret password;
};

// Strict: base64 must be canonical, the message must hold exactly two NULs, and authcid and
// password must not be empty.
Result<PlainCredentials> decode_plain(std::string_view response_base64);

// base64(authzid NUL authcid NUL password). Fails when a part contains NUL or authcid/password is
// empty.
Result<Secret> encode_plain(std::string_view authzid, std::string_view authcid,
                            const Secret& password);

}  // namespace mb::protocol::sasl
