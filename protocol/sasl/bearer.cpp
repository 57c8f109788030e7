// XOAUTH2 / OAUTHBEARER implementation. The plain-text message that holds the token is wiped
// once encoded.
#include "protocol/sasl/bearer.h"

#include <openssl/crypto.h>

#include "protocol/sasl/base64.h"

namespace mb::protocol::sasl {

namespace {

// User names and hosts: non-empty, no control bytes (which include the \x01 separator).
bool is_clean_field(std::string_view text) {
    if (text.empty()) return false;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) return false;
    }
    return true;
}

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view token) {
    std::size_t i = 0;
    while (i < token.size()) {
        const char c = token[i];
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                        c == '+' || c == '/';
        if (!ok) break;
        ++i;
    }
    if (i == 0) return false;
    while (i < token.size() && token[i] == '=') ++i;
    return i == token.size();
}

Result<void> check_inputs(std::string_view user, const Secret& token) {
    if (!is_clean_field(user))
        return make_error(
            "SASL user name is empty or contains control characters; check the "
            "account's upstream_user");
    if (!is_b64token(token.reveal()))
        return make_error(
            "OAuth2 access token is empty or contains characters a bearer token "
            "cannot have; check the token endpoint's answer");
    return {};
}

Secret encode_and_wipe(std::string& message) {
    Secret encoded(base64_encode(message));
    OPENSSL_cleanse(message.data(), message.size());
    return encoded;
}

}  // namespace

std::string_view mechanism_name(BearerMechanism mechanism) {
    return mechanism == BearerMechanism::Xoauth2 ? "XOAUTH2" : "OAUTHBEARER";
}

Result<Secret> xoauth2_initial_response(std::string_view user, const Secret& token) {
    if (auto checked = check_inputs(user, token); !checked) return checked.error();
    std::string message;
    message.reserve(user.size() + token.reveal().size() + 24);
    message.append("user=").append(user).append(
        "\x01"
        "auth=Bearer ");
    message.append(token.reveal()).append("\x01\x01");
    return encode_and_wipe(message);
}

Result<Secret> oauthbearer_initial_response(std::string_view user, std::string_view host,
                                            std::uint16_t port, const Secret& token) {
    if (auto checked = check_inputs(user, token); !checked) return checked.error();
    if (!is_clean_field(host))
        return make_error("OAUTHBEARER host is empty or contains control characters");
    std::string message = "n,a=";
    for (char c : user) {
        if (c == ',')
            message += "=2C";
        else if (c == '=')
            message += "=3D";
        else
            message.push_back(c);
    }
    message
        .append(
            ",\x01"
            "host=")
        .append(host);
    message
        .append(
            "\x01"
            "port=")
        .append(std::to_string(port));
    message
        .append(
            "\x01"
            "auth=Bearer ")
        .append(token.reveal())
        .append("\x01\x01");
    return encode_and_wipe(message);
}

Result<std::string> decode_bearer_error(std::string_view challenge_base64) {
    auto decoded = base64_decode(challenge_base64);
    if (!decoded)
        return make_error("server's OAuth2 error challenge is not valid base64 (" +
                          decoded.error().message + ")");
    return decoded;
}

std::string_view bearer_error_answer(BearerMechanism mechanism) {
    return mechanism == BearerMechanism::Xoauth2 ? "" : "AQ==";
}

}  // namespace mb::protocol::sasl
