// SASL PLAIN implementation. Decoded buffers that held a password are wiped before release.
#include "protocol/sasl/plain.h"

#include <openssl/crypto.h>

#include "protocol/sasl/base64.h"

namespace mb::protocol::sasl {

namespace {
void wipe(std::string& text) {
    OPENSSL_cleanse(text.data(), text.size());
}
}  // namespace

Result<PlainCredentials> decode_plain(std::string_view response_base64) {
    auto decoded = base64_decode(response_base64);
    if (!decoded)
        return make_error("SASL PLAIN response is not valid base64 (" + decoded.error().message +
                          "); send base64(authzid NUL user NUL password)");
    std::string& message = *decoded;
    const std::size_t first = message.find('\0');
    const std::size_t second =
        first == std::string::npos ? std::string::npos : message.find('\0', first + 1);
    std::string error;
    if (second == std::string::npos || message.find('\0', second + 1) != std::string::npos)
        error = "SASL PLAIN response must be authzid NUL user NUL password";
    else if (second == first + 1)
        error = "SASL PLAIN response has an empty user name";
    else if (second + 1 == message.size())
        error = "SASL PLAIN response has an empty password";
    if (!error.empty()) {
        wipe(message);
        return make_error(std::move(error));
    }
    PlainCredentials credentials{message.substr(0, first),
                                 message.substr(first + 1, second - first - 1),
                                 Secret(message.substr(second + 1))};
    wipe(message);
    return credentials;
}

Result<Secret> encode_plain(std::string_view authzid, std::string_view authcid,
                            const Secret& password) {
    const std::string& pass = password.reveal();
    if (authcid.empty() || pass.empty())
        return make_error("SASL PLAIN needs a non-empty user name and password");
    if (authzid.find('\0') != std::string_view::npos ||
        authcid.find('\0') != std::string_view::npos || pass.find('\0') != std::string::npos)
        return make_error("SASL PLAIN user names and passwords cannot contain NUL");
    std::string message;
    message.reserve(authzid.size() + authcid.size() + pass.size() + 2);
    message.append(authzid).push_back('\0');
    message.append(authcid).push_back('\0');
    message.append(pass);
    Secret encoded(base64_encode(message));
    wipe(message);
    return encoded;
}

}  // namespace mb::protocol::sasl
