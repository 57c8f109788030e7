// SASL LOGIN implementation.
#include "protocol/sasl/login.h"

#include <openssl/crypto.h>

#include "protocol/sasl/base64.h"

namespace mb::protocol::sasl {

namespace {

// Decodes one answer; `what` names it in the error text.
Result<std::string> decode_answer(std::string_view answer_base64, std::string_view what) {
    auto decoded = base64_decode(answer_base64);
    if (!decoded)
        return make_error("SASL LOGIN " + std::string(what) + " is not valid base64 (" +
                          decoded.error().message + ")");
    if (decoded->empty() || decoded->find('\0') != std::string::npos) {
        OPENSSL_cleanse(decoded->data(), decoded->size());
        return make_error("SASL LOGIN " + std::string(what) + " is empty or contains NUL");
    }
    return decoded;
}

}  // namespace

Result<std::string> decode_login_user(std::string_view answer_base64) {
    return decode_answer(answer_base64, "user name");
}

Result<Secret> decode_login_password(std::string_view answer_base64) {
    auto decoded = decode_answer(answer_base64, "password");
    if (!decoded) return decoded.error();
    Secret password(*decoded);
    OPENSSL_cleanse(decoded->data(), decoded->size());
    return password;
}

std::string encode_login_user(std::string_view user) {
    return base64_encode(user);
}

Secret encode_login_password(const Secret& password) {
    return Secret(base64_encode(password.reveal()));
}

}  // namespace mb::protocol::sasl
