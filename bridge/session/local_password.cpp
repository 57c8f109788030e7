// scrypt hashing of local passwords with OpenSSL (EVP_PBE_scrypt) and its verification.
#include "bridge/session/local_password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>
#include <string_view>
#include <vector>

namespace mb::session {
namespace {

constexpr int kLogN = 15;  // N = 32768: ~32 MB of memory, tens of milliseconds
constexpr int kR = 8;
constexpr int kP = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr uint64_t kMaxMemory = 256ull * 1024 * 1024;

std::string base64(const unsigned char* data, size_t size) {
    std::string out(4 * ((size + 2) / 3), '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<size_t>(n));
    return out;
}

bool unbase64(std::string_view text, std::vector<unsigned char>& out) {
    if (text.empty() || text.size() % 4 != 0) return false;
    out.assign(text.size() / 4 * 3, 0);
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) return false;
    size_t pad = 0;
    if (text.back() == '=') ++pad;
    if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return true;
}

bool scrypt(const Secret& password, const unsigned char* salt, size_t salt_size, int log_n, int r,
            int p, unsigned char* out, size_t out_size) {
    const std::string& pw = password.reveal();
    return EVP_PBE_scrypt(pw.data(), pw.size(), salt, salt_size, uint64_t{1} << log_n,
                          static_cast<uint64_t>(r), static_cast<uint64_t>(p), kMaxMemory, out,
                          out_size) == 1;
}

bool parse_int(std::string_view text, int& value) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<std::string> hash_local_password(const Secret& password) {
    unsigned char salt[kSaltBytes];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return make_error("cannot hash the password: the system random generator failed");
    unsigned char hash[kHashBytes];
    if (!scrypt(password, salt, sizeof salt, kLogN, kR, kP, hash, sizeof hash))
        return make_error("cannot hash the password: scrypt failed (out of memory?)");
    return "$scrypt$ln=" + std::to_string(kLogN) + ",r=" + std::to_string(kR) +
           ",p=" + std::to_string(kP) + "$" + base64(salt, sizeof salt) + "$" +
           base64(hash, sizeof hash);
}

Result<bool> verify_local_password(const std::string& encoded_hash, const Secret& password) {
    const Error malformed = make_error(
        "local_password hash is not a mailbridge scrypt hash; make one with "
        "`mailbridge hash-password`");
    std::string_view text(encoded_hash);
    constexpr std::string_view prefix = "$scrypt$";
    if (text.substr(0, prefix.size()) != prefix) return malformed;
    text.remove_prefix(prefix.size());
    size_t params_end = text.find('$');
    if (params_end == std::string_view::npos) return malformed;
    std::string_view params = text.substr(0, params_end);
    text.remove_prefix(params_end + 1);
    size_t salt_end = text.find('$');
    if (salt_end == std::string_view::npos) return malformed;
    std::string_view salt_text = text.substr(0, salt_end);
    std::string_view hash_text = text.substr(salt_end + 1);

    int log_n = -1, r = -1, p = -1;
    while (!params.empty()) {
        size_t comma = params.find(',');
        std::string_view item = params.substr(0, comma);
        params = comma == std::string_view::npos ? std::string_view() : params.substr(comma + 1);
        size_t eq = item.find('=');
        if (eq == std::string_view::npos) return malformed;
        std::string_view key = item.substr(0, eq);
        int* target = key == "ln" ? &log_n : key == "r" ? &r : key == "p" ? &p : nullptr;
        if (!target || !parse_int(item.substr(eq + 1), *target)) return malformed;
    }
    if (log_n < 10 || log_n > 22 || r < 1 || r > 32 || p < 1 || p > 16) return malformed;

    std::vector<unsigned char> salt, expected;
    if (!unbase64(salt_text, salt) || !unbase64(hash_text, expected) || salt.size() < 8 ||
        expected.size() < 16 || expected.size() > 64)
        return malformed;
    std::vector<unsigned char> actual(expected.size());
    if (!scrypt(password, salt.data(), salt.size(), log_n, r, p, actual.data(), actual.size()))
        return make_error("cannot verify the local password: scrypt failed (out of memory?)");
    return CRYPTO_memcmp(actual.data(), expected.data(), expected.size()) == 0;
}

bool equal_secrets_constant_time(const Secret& a, const Secret& b) {
    // Compare digests so that the time does not depend on where the values differ or their length.
    unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(a.reveal().data()), a.reveal().size(), da);
    SHA256(reinterpret_cast<const unsigned char*>(b.reveal().data()), b.reveal().size(), db);
    return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

}  // namespace mb::session
