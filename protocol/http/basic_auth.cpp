// Basic credentials: see basic_auth.h.
#include "protocol/http/basic_auth.h"

#include <string>

#include "protocol/http/token_syntax.h"
#include "protocol/sasl/base64.h"

namespace mb::protocol::http {

Result<Secret> basic_authorization(std::string_view username, const Secret& password) {
    for (char c : username)
        if (c == ':' || is_control(c))
            return make_error(
                "the proxy username contains ':' or a control character, which Basic "
                "authentication cannot carry; use a different username or auth = \"digest\"");
    for (char c : password.reveal())
        if (is_control(c))
            return make_error(
                "the proxy password contains a control character, which Basic authentication "
                "cannot carry");
    std::string pair;
    pair.reserve(username.size() + 1 + password.reveal().size());
    pair.append(username).append(":").append(password.reveal());
    Secret value("Basic " + sasl::base64_encode(pair));
    OPENSSL_cleanse(pair.data(), pair.size());
    return value;
}

}  // namespace mb::protocol::http
