// TokenStore: the OAuth2 tokens the bridge holds, in their own SQLite file (tokens.sqlite in
// state_dir, 0600 in a 0700 directory), one row per (account, login) — login "" for an
// account-wide client_credentials token. Token values are sealed with a TokenCipher (associated
// data = account, login and field, so values cannot be swapped between rows or fields); the key
// never enters the database, which holds a sealed check value so a wrong key is reported as such.
// With a passphrase the database also holds the scrypt salt and cost (table key_derivation, made
// with the store); a store from before that (HKDF, no salt) is re-sealed under the scrypt key on
// its first open, in one transaction.
// Every write is one transaction with synchronous=FULL in WAL mode: a crash leaves the old row
// or the new one. Synchronous and BLOCKING: one thread uses a TokenStore (the daemon's worker,
// or the CLI).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"
#include "protocol/secret.h"
#include "store/database.h"
#include "store/token_cipher.h"

namespace mb::store {

class Statement;

inline constexpr std::string_view kTokenStoreFile = "tokens.sqlite";
inline constexpr std::string_view kTokenKeyFile = "token.key";

struct StoredToken {
    std::string account;
    std::string login;  // "" for an account-wide token
    Secret access_token;
    std::optional<std::chrono::system_clock::time_point> expires_at;
    Secret refresh_token;  // empty when the server gave none
    std::string scopes;    // space-separated, as granted
    std::chrono::system_clock::time_point obtained_at{};
    std::string last_error;  // "" after a success
};

// The token store's schema (tables tokens, key_check and key_derivation), for Database::open.
const Schema& token_schema();

class TokenStore {
  public:
    static Result<TokenStore> open(const std::filesystem::path& file, TokenCipher cipher);
    // STATE_DIR/tokens.sqlite with the key derived from `passphrase` ([daemon] token_key) by
    // scrypt with the store's salt, or from STATE_DIR/token.key (created when missing) when there
    // is none. Slow with a passphrase (scrypt, see ScryptCost): run it on a worker.
    static Result<TokenStore> open_in(const std::filesystem::path& state_dir,
                                      const std::optional<Secret>& passphrase);

    // Replaces the row of (account, login) in one durable transaction.
    Result<void> put(const StoredToken& token);
    Result<std::optional<StoredToken>> get(std::string_view account, std::string_view login);
    Result<std::vector<StoredToken>> load_all();
    // A refresh was refused for good: records `message` and drops the refresh token, but only if
    // the row still holds `used_refresh_token` (a newer authorization stays untouched).
    Result<void> record_refusal(std::string_view account, std::string_view login,
                                const Secret& used_refresh_token, std::string_view message);
    Result<void> remove(std::string_view account, std::string_view login);

    const std::filesystem::path& file() const { return db_.file(); }
    // Warnings for the caller's log (a file moved aside, a store migrated to scrypt).
    const std::vector<std::string>& notices() const { return notices_; }

  private:
    TokenStore(Database db, TokenCipher cipher)
        : db_(std::move(db)), cipher_(std::move(cipher)), notices_(db_.notices()) {}
    static Result<TokenStore> open_with_passphrase(const std::filesystem::path& file,
                                                   const Secret& passphrase);
    Result<void> check_key();
    Result<bool> has_key_check();
    // Re-seals every value and the key check under `cipher`, records its salt and cost, and
    // switches to it: one transaction, so a failure leaves the store as it was.
    Result<std::size_t> reseal_under(TokenCipher cipher, std::string_view salt,
                                     const ScryptCost& cost);
    Result<StoredToken> row_to_token(Statement& row) const;

    Database db_;
    TokenCipher cipher_;
    std::vector<std::string> notices_;
};

}  // namespace mb::store
