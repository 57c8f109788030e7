// TokenCipher: AES-256-GCM sealing of token values for the token store. Each value gets a fresh
// random 12-byte nonce; the associated data binds it to its row (account and login), so a value
// copied into another row fails to open. The 32-byte key comes from a key file (created 0600 with
// random bytes) or is derived with scrypt from the configured [daemon] token_key passphrase and
// the store's random salt; it is never stored in the database. Owns a copy of the key; copyable
// (the copy wipes on destroy).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::store {

inline constexpr std::size_t kTokenKeyBytes = 32;
inline constexpr std::size_t kTokenNonceBytes = 12;
inline constexpr std::size_t kTokenTagBytes = 16;
inline constexpr std::size_t kTokenSaltBytes = 16;

// scrypt work factor for a passphrase. The default (N = 2^15, r = 8, p = 1) takes 32 MiB of
// memory and 0.15-0.25 s of one core (measured on a loaded 2-core machine), once per daemon
// start, on the token store's worker thread.
struct ScryptCost {
    std::uint64_t n = 1u << 15;
    std::uint32_t r = 8;
    std::uint32_t p = 1;
    bool operator==(const ScryptCost&) const = default;
};

class TokenCipher {
  public:
    // Exactly kTokenKeyBytes raw bytes.
    static Result<TokenCipher> from_key(const Secret& key);
    // scrypt (RFC 7914) of a configured secret of any length (not empty) with the store's salt.
    // Refuses a cost outside sane bounds (a damaged or hostile database).
    static Result<TokenCipher> from_passphrase(const Secret& secret, std::string_view salt,
                                               const ScryptCost& cost = {});
    // The derivation of stores written before the salt existed: HKDF-SHA256 (RFC 5869) with no
    // salt and no work factor. Only for migrating such a store to from_passphrase.
    static Result<TokenCipher> from_legacy_hkdf_passphrase(const Secret& secret);
    // kTokenSaltBytes random bytes for a new store.
    static Result<std::string> new_salt();
    // Reads the key file, or creates it (mode 0600, kTokenKeyBytes random bytes) when missing.
    // Refuses a file of another size or one that group or others may read.
    static Result<TokenCipher> from_key_file(const std::filesystem::path& file);

    // Version byte 1 || nonce || ciphertext || tag.
    Result<std::string> seal(std::string_view plaintext, std::string_view associated) const;
    // Fails (without any plaintext) when the key is wrong, the value was altered or belongs to
    // another row.
    Result<Secret> open(std::string_view sealed, std::string_view associated) const;

  private:
    explicit TokenCipher(Secret key) : key_(std::move(key)) {}
    Secret key_;
};

}  // namespace mb::store
