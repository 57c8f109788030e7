// HTTP Digest authentication (RFC 7616) for a client: reading a Digest challenge and computing the
// Authorization/Proxy-Authorization value. Algorithms MD5, MD5-sess, SHA-256, SHA-256-sess
// (OpenSSL EVP); qop "auth" (or no qop, RFC 2069 style); userhash; opaque echoed. The client
// nonce comes from the caller so the computation stays pure and testable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/http/proxy_challenge.h"
#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::http {

enum class DigestAlgorithm { md5, md5_sess, sha256, sha256_sess };

struct DigestChallenge {
    std::string realm;
    std::string nonce;
    std::string opaque;  // echoed when present
    bool has_opaque = false;
    DigestAlgorithm algorithm = DigestAlgorithm::md5;
    bool qop_auth = false;  // false: the server sent no qop (RFC 2069 compatibility)
    bool stale = false;
    bool userhash = false;
};

// Reads a Digest challenge. Errors for a missing realm or nonce, an algorithm other than the four
// above, or a qop list without "auth" (auth-int needs the body, which CONNECT does not have).
Result<DigestChallenge> read_digest_challenge(const Challenge& challenge);

std::string_view to_string(DigestAlgorithm algorithm);  // "MD5", "SHA-256-sess", …

struct DigestRequest {
    std::string_view method;  // "CONNECT"
    std::string_view uri;     // request-target as sent: "host:port" for CONNECT
    std::string_view cnonce;  // random from the caller; printable, no '"' or '\'
    std::uint32_t nc = 1;     // times this nonce has been used, this request included
};

// The full header value: `Digest username="…", realm="…", uri="…", algorithm=…, nonce="…",
// nc=…, cnonce="…", qop=auth, response="…"[, opaque="…"][, userhash=true]`. A username outside
// ASCII is sent as username*=UTF-8''… (RFC 7616 §3.4.4) unless userhash hides it.
Result<Secret> digest_authorization(const DigestChallenge& challenge, std::string_view username,
                                    const Secret& password, const DigestRequest& request);

}  // namespace mb::protocol::http
