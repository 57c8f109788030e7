// Digest computation (RFC 7616 §3.4): HA1, HA2 and the response as lower-case hex of the chosen
// hash, computed with OpenSSL EVP. Intermediate strings holding the password are cleansed.
#include "protocol/http/digest_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdio>

#include "protocol/http/token_syntax.h"

namespace mb::protocol::http {
namespace {

const EVP_MD* hash_of(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::md5 || algorithm == DigestAlgorithm::md5_sess
               ? EVP_md5()
               : EVP_sha256();
}

bool is_sess(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::md5_sess || algorithm == DigestAlgorithm::sha256_sess;
}

std::string hex_hash(DigestAlgorithm algorithm, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, hash_of(algorithm), nullptr) !=
        1)
        return {};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 0x0f]);
    }
    return hex;
}

// A quoted-string with '"' and '\' escaped.
std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

// RFC 8187 ext-value: UTF-8'' followed by percent-encoded bytes outside attr-char.
std::string ext_value(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out = "UTF-8''";
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        bool attr_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                         std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
        if (attr_char) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 0x0f]);
        }
    }
    return out;
}

void cleanse(std::string& text) {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
}

}  // namespace

std::string_view to_string(DigestAlgorithm algorithm) {
    switch (algorithm) {
        case DigestAlgorithm::md5:
            return "MD5";
        case DigestAlgorithm::md5_sess:
            return "MD5-sess";
        case DigestAlgorithm::sha256:
            return "SHA-256";
        case DigestAlgorithm::sha256_sess:
            return "SHA-256-sess";
    }
    return "MD5";
}

Result<DigestChallenge> read_digest_challenge(const Challenge& challenge) {
    if (!challenge.is("Digest")) return make_error("not a Digest challenge");
    DigestChallenge digest;
    auto realm = challenge.param("realm");
    auto nonce = challenge.param("nonce");
    if (!realm) return make_error("Digest challenge without a realm");
    if (!nonce || nonce->empty()) return make_error("Digest challenge without a nonce");
    digest.realm = std::string(*realm);
    digest.nonce = std::string(*nonce);
    for (char c : digest.nonce)
        if (is_control(c))
            return make_error("Digest challenge with a control character in its nonce");
    if (auto opaque = challenge.param("opaque")) {
        digest.opaque = std::string(*opaque);
        digest.has_opaque = true;
    }
    if (auto algorithm = challenge.param("algorithm")) {
        bool known = false;
        for (auto candidate : {DigestAlgorithm::md5, DigestAlgorithm::md5_sess,
                               DigestAlgorithm::sha256, DigestAlgorithm::sha256_sess}) {
            if (equals_ignoring_case(*algorithm, to_string(candidate))) {
                digest.algorithm = candidate;
                known = true;
            }
        }
        if (!known)
            return make_error("Digest algorithm \"" + std::string(algorithm->substr(0, 32)) +
                              "\" is not supported (MD5, MD5-sess, SHA-256, SHA-256-sess are)");
    }
    if (auto qop = challenge.param("qop")) {
        for (auto item : split_list(*qop))
            if (equals_ignoring_case(item, "auth")) digest.qop_auth = true;
        if (!digest.qop_auth)
            return make_error("Digest challenge offers no qop=auth (auth-int is not supported)");
    }
    if (auto stale = challenge.param("stale")) digest.stale = equals_ignoring_case(*stale, "true");
    if (auto userhash = challenge.param("userhash"))
        digest.userhash = equals_ignoring_case(*userhash, "true");
    return digest;
}

Result<Secret> digest_authorization(const DigestChallenge& challenge, std::string_view username,
                                    const Secret& password, const DigestRequest& request) {
    for (char c : request.cnonce)
        if (c == '"' || c == '\\' || is_control(c) || c == ' ')
            return make_error("Digest cnonce must be printable without quotes or spaces");
    if (request.cnonce.empty() && challenge.qop_auth) return make_error("Digest cnonce is empty");
    const DigestAlgorithm algorithm = challenge.algorithm;

    std::string secret_line =
        std::string(username) + ":" + challenge.realm + ":" + password.reveal();
    std::string ha1 = hex_hash(algorithm, secret_line);
    cleanse(secret_line);
    if (is_sess(algorithm)) {
        std::string sess = ha1 + ":" + challenge.nonce + ":" + std::string(request.cnonce);
        cleanse(ha1);
        ha1 = hex_hash(algorithm, sess);
        cleanse(sess);
    }
    const std::string ha2 =
        hex_hash(algorithm, std::string(request.method) + ":" + std::string(request.uri));
    char nc[9];
    std::snprintf(nc, sizeof nc, "%08x", request.nc);
    std::string response_line = challenge.qop_auth
                                    ? ha1 + ":" + challenge.nonce + ":" + nc + ":" +
                                          std::string(request.cnonce) + ":auth:" + ha2
                                    : ha1 + ":" + challenge.nonce + ":" + ha2;
    cleanse(ha1);
    const std::string response = hex_hash(algorithm, response_line);
    cleanse(response_line);
    if (response.empty()) return make_error("Digest hash computation failed in OpenSSL");

    std::string value = "Digest ";
    if (challenge.userhash) {
        value += "username=" +
                 quoted(hex_hash(algorithm, std::string(username) + ":" + challenge.realm));
    } else {
        bool ascii = true;
        for (char c : username)
            if (static_cast<unsigned char>(c) >= 0x80 || is_control(c)) ascii = false;
        value += ascii ? "username=" + quoted(username) : "username*=" + ext_value(username);
    }
    value += ", realm=" + quoted(challenge.realm);
    value += ", uri=" + quoted(request.uri);
    value += ", algorithm=" + std::string(to_string(algorithm));
    value += ", nonce=" + quoted(challenge.nonce);
    if (challenge.qop_auth) {
        value += ", nc=" + std::string(nc);
        value += ", cnonce=" + quoted(request.cnonce);
        value += ", qop=auth";
    }
    value += ", response=" + quoted(response);
    if (challenge.has_opaque) value += ", opaque=" + quoted(challenge.opaque);
    if (challenge.userhash) value += ", userhash=true";
    return Secret(std::move(value));
}

}  // namespace mb::protocol::http
