// SASL LOGIN (draft-murchison-sasl-login): the two base64 prompts a server sends and the decoding
// and encoding of the user name and password answers. Passwords are Secret. Pure.
#pragma once

#include <string>
#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::sasl {

inline constexpr std::string_view kLoginUserPrompt = "VXNlcm5hbWU6";      // "Username:"
inline constexpr std::string_view kLoginPasswordPrompt = "UGFzc3dvcmQ6";  // "Password:"

// A client's base64 answer to each prompt. Strict base64; empty values and NUL are refused.
Result<std::string> decode_login_user(std::string_view answer_base64);
Result<Secret> decode_login_password(std::string_view answer_base64);

std::string encode_login_user(std::string_view user);
Secret encode_login_password(const Secret& password);

}  // namespace mb::protocol::sasl
