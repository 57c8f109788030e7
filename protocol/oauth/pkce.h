// PKCE (RFC 7636) with S256 and the random values of an authorization request: the code
// verifier (43 base64url characters from 32 random bytes), its challenge, and the state. Pure:
// the caller supplies the random bytes (the CLI takes them from OpenSSL's RAND_bytes).
#pragma once

#include <string>
#include <string_view>

#include "protocol/secret.h"

namespace mb::protocol::oauth {

// RFC 4648 section 5 without padding.
std::string base64url(std::string_view data);

struct Pkce {
    Secret verifier;        // code_verifier, sent only with the code exchange
    std::string challenge;  // BASE64URL(SHA256(verifier)), sent in the authorization URL
};

// `random_bytes` (32 bytes recommended) becomes the verifier.
Pkce make_pkce(std::string_view random_bytes);

// S256 challenge of a verifier.
std::string s256_challenge(std::string_view verifier);

}  // namespace mb::protocol::oauth
