// TokenCipher: AES-256-GCM sealing of token values for the token store. Each value gets a fresh
// random 12-byte nonce; the associated data binds it to its row (account and login), so a value
// copied into another row fails to open. The 32-byte key comes from a key file (created 0600 with
// random bytes) or is derived with HKDF-SHA256 from the configured [daemon] token_key secret; it
// is never stored in the database. Owns a copy of the key; copyable (the copy wipes on destroy).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::store {

inline constexpr std::size_t kTokenKeyBytes = 32;
inline constexpr std::size_t kTokenNonceBytes = 12;
inline constexpr std::size_t kTokenTagBytes = 16;

class TokenCipher {
  public:
    // Exactly kTokenKeyBytes raw bytes.
    static Result<TokenCipher> from_key(const Secret& key);
    // HKDF-SHA256 (RFC 5869) of a configured secret of any length (not empty).
    static Result<TokenCipher> from_passphrase(const Secret& secret);
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
