// Base64 (RFC 4648 §4) for SASL: an encoder and a strict decoder (canonical padding only, no
// whitespace, no stray bits), as SASL exchanges in IMAP, POP3 and SMTP require. Pure.
#pragma once

#include <string>
#include <string_view>

#include "protocol/result.h"

namespace mb::protocol::sasl {

std::string base64_encode(std::string_view data);

// Rejects: a length not a multiple of 4, characters outside the alphabet, '=' anywhere but the
// last one or two places, and non-zero bits in the last character before the padding.
Result<std::string> base64_decode(std::string_view text);

}  // namespace mb::protocol::sasl
