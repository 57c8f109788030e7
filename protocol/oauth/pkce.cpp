// PKCE S256 and base64url (see pkce.h).
#include "protocol/oauth/pkce.h"

#include <openssl/sha.h>

namespace mb::protocol::oauth {

std::string base64url(std::string_view data) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((data.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(data[i]) << 16 |
                           static_cast<unsigned char>(data[i + 1]) << 8 |
                           static_cast<unsigned char>(data[i + 2]);
        out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
                kAlphabet[v & 63]};
    }
    if (data.size() - i == 1) {
        const unsigned v = static_cast<unsigned char>(data[i]) << 16;
        out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63]};
    } else if (data.size() - i == 2) {
        const unsigned v = static_cast<unsigned char>(data[i]) << 16 |
                           static_cast<unsigned char>(data[i + 1]) << 8;
        out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63]};
    }
    return out;
}

std::string s256_challenge(std::string_view verifier) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
    return base64url(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

Pkce make_pkce(std::string_view random_bytes) {
    Pkce pkce;
    pkce.verifier = Secret(base64url(random_bytes));
    pkce.challenge = s256_challenge(pkce.verifier.reveal());
    return pkce;
}

}  // namespace mb::protocol::oauth
