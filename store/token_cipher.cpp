// AES-256-GCM with OpenSSL EVP, scrypt (and legacy HKDF) key derivation and the key file (see
// token_cipher.h).
#include "store/token_cipher.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

namespace mb::store {

namespace {

constexpr char kVersion = 1;
constexpr std::string_view kHkdfInfo = "mailbridge token store v1";

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// Bounds on a stored scrypt cost: above the default, yet no database can make the daemon spend
// more than 128 * r * n = 1 GiB on one derivation.
constexpr std::uint64_t kMaxScryptN = 1u << 20;
constexpr std::uint32_t kMaxScryptR = 16;
constexpr std::uint32_t kMaxScryptP = 4;
constexpr std::uint64_t kScryptMaxMemory = 1100ull * 1024 * 1024;

bool sane(const ScryptCost& cost) {
    const bool power_of_two = cost.n >= 2 && (cost.n & (cost.n - 1)) == 0;
    return power_of_two && cost.n <= kMaxScryptN && cost.r >= 1 && cost.r <= kMaxScryptR &&
           cost.p >= 1 && cost.p <= kMaxScryptP;
}

const unsigned char* bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

Result<std::string> read_key_file(const std::filesystem::path& file, int fd) {
    struct stat info {};
    if (::fstat(fd, &info) != 0)
        return make_error("cannot inspect token key file " + file.string() + ": " +
                          std::strerror(errno));
    if ((info.st_mode & 077) != 0)
        return make_error("token key file " + file.string() +
                          " may be read by other users — run chmod 600 on it");
    if (info.st_size != static_cast<off_t>(kTokenKeyBytes))
        return make_error("token key file " + file.string() + " holds " +
                          std::to_string(info.st_size) + " bytes, not " +
                          std::to_string(kTokenKeyBytes) +
                          " — restore the right file, or delete it and the tokens database and "
                          "authorize again");
    std::string key(kTokenKeyBytes, '\0');
    std::size_t got = 0;
    while (got < key.size()) {
        const ssize_t n = ::read(fd, key.data() + got, key.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            return make_error("cannot read token key file " + file.string() + ": " +
                              (n < 0 ? std::strerror(errno) : "file shorter than announced"));
        got += static_cast<std::size_t>(n);
    }
    return key;
}

Result<std::string> create_key_file(const std::filesystem::path& file) {
    std::string key(kTokenKeyBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
        return make_error("cannot generate a token key: the OpenSSL random generator failed");
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(std::strerror(errno));
    ::fchmod(fd, 0600);
    std::size_t put = 0;
    while (put < key.size()) {
        const ssize_t n = ::write(fd, key.data() + put, key.size() - put);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            std::string reason = std::strerror(errno);
            ::close(fd);
            ::unlink(file.c_str());
            return make_error("cannot write token key file " + file.string() + ": " + reason);
        }
        put += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) {
        ::unlink(file.c_str());
        return make_error("cannot sync token key file " + file.string());
    }
    return key;
}

}  // namespace

Result<TokenCipher> TokenCipher::from_key(const Secret& key) {
    if (key.reveal().size() != kTokenKeyBytes)
        return make_error("a token key must be " + std::to_string(kTokenKeyBytes) + " bytes");
    return TokenCipher(key);
}

Result<TokenCipher> TokenCipher::from_passphrase(const Secret& secret, std::string_view salt,
                                                 const ScryptCost& cost) {
    if (secret.empty())
        return make_error("[daemon] token_key is empty — set a secret or remove the key");
    if (salt.size() != kTokenSaltBytes || !sane(cost))
        return make_error(
            "the token store's key derivation settings are damaged (salt or scrypt "
            "cost out of range) — restore the database from a backup, or move it "
            "aside and run mailbridge auth again");
    std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr),
                                                          &EVP_KDF_free);
    std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(
        kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr, &EVP_KDF_CTX_free);
    std::string input = secret.reveal();
    std::string salt_copy(salt);
    std::uint64_t n = cost.n;
    std::uint32_t r = cost.r;
    std::uint32_t p = cost.p;
    std::uint64_t max_memory = kScryptMaxMemory;
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, input.data(), input.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(), salt_copy.size()),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &max_memory),
        OSSL_PARAM_construct_end()};
    std::string key(kTokenKeyBytes, '\0');
    const bool derived =
        ctx && EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(key.data()), key.size(),
                              params) == 1;
    OPENSSL_cleanse(input.data(), input.size());
    if (!derived)
        return make_error(
            "cannot derive the token key from [daemon] token_key (OpenSSL scrypt "
            "failed; is the machine out of memory?)");
    return TokenCipher(Secret(std::move(key)));
}

Result<TokenCipher> TokenCipher::from_legacy_hkdf_passphrase(const Secret& secret) {
    if (secret.empty())
        return make_error("[daemon] token_key is empty — set a secret or remove the key");
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), &EVP_PKEY_CTX_free);
    std::string key(kTokenKeyBytes, '\0');
    std::size_t length = key.size();
    const std::string& input = secret.reveal();
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), bytes(input), static_cast<int>(input.size())) <= 0 ||
        EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), bytes(kHkdfInfo),
                                    static_cast<int>(kHkdfInfo.size())) <= 0 ||
        EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(key.data()), &length) <= 0 ||
        length != kTokenKeyBytes)
        return make_error("cannot derive the token key from [daemon] token_key (OpenSSL HKDF)");
    return TokenCipher(Secret(std::move(key)));
}

Result<std::string> TokenCipher::new_salt() {
    std::string salt(kTokenSaltBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
        1)
        return make_error(
            "cannot generate a token store salt: the OpenSSL random generator failed");
    return salt;
}

Result<TokenCipher> TokenCipher::from_key_file(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        auto key = read_key_file(file, fd);
        ::close(fd);
        if (!key) return key.error();
        return TokenCipher(Secret(std::move(*key)));
    }
    if (errno != ENOENT)
        return make_error("cannot open token key file " + file.string() + ": " +
                          std::strerror(errno) + " — check the state_dir permissions");
    auto key = create_key_file(file);
    if (!key) {
        if (key.error().message == std::strerror(EEXIST)) return from_key_file(file);
        return make_error("cannot create token key file " + file.string() + ": " +
                          key.error().message + " — check the state_dir permissions");
    }
    return TokenCipher(Secret(std::move(*key)));
}

Result<std::string> TokenCipher::seal(std::string_view plaintext,
                                      std::string_view associated) const {
    std::array<unsigned char, kTokenNonceBytes> nonce{};
    if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1)
        return make_error("cannot encrypt a token: the OpenSSL random generator failed");
    CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    std::string out(1 + kTokenNonceBytes + plaintext.size() + kTokenTagBytes, '\0');
    out[0] = kVersion;
    std::memcpy(out.data() + 1, nonce.data(), nonce.size());
    auto* cipher_text = reinterpret_cast<unsigned char*>(out.data() + 1 + kTokenNonceBytes);
    int length = 0;
    int final_length = 0;
    if (!ctx ||
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_.reveal()),
                           nonce.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(associated),
                          static_cast<int>(associated.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), cipher_text, &length, bytes(plaintext),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), cipher_text + length, &final_length) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTokenTagBytes),
                            cipher_text + plaintext.size()) != 1)
        return make_error("cannot encrypt a token (OpenSSL AES-256-GCM failed)");
    return out;
}

Result<Secret> TokenCipher::open(std::string_view sealed, std::string_view associated) const {
    if (sealed.size() < 1 + kTokenNonceBytes + kTokenTagBytes || sealed[0] != kVersion)
        return make_error("the stored value is not a sealed token (wrong format or version)");
    const auto* nonce = bytes(sealed.substr(1, kTokenNonceBytes));
    const std::string_view cipher_text =
        sealed.substr(1 + kTokenNonceBytes, sealed.size() - 1 - kTokenNonceBytes - kTokenTagBytes);
    std::string tag(sealed.substr(sealed.size() - kTokenTagBytes));
    CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    std::string plain(cipher_text.size(), '\0');
    auto* out = reinterpret_cast<unsigned char*>(plain.data());
    int length = 0;
    int final_length = 0;
    const bool ok = ctx &&
                    EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_.reveal()),
                                       nonce) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(associated),
                                      static_cast<int>(associated.size())) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), out, &length, bytes(cipher_text),
                                      static_cast<int>(cipher_text.size())) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                                        static_cast<int>(kTokenTagBytes), tag.data()) == 1 &&
                    EVP_DecryptFinal_ex(ctx.get(), out + length, &final_length) == 1;
    Secret result(std::move(plain));
    if (!ok)
        return make_error(
            "a stored token failed authentication: the key is not the one it was written with, "
            "or the value was altered or moved to another row");
    return result;
}

}  // namespace mb::store
