// The token store (see token_store.h): schema, key check, sealed columns and the transactions.
#include "store/token_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <limits>

#include "store/statement.h"

namespace mb::store {

namespace {

using SystemClock = std::chrono::system_clock;

constexpr std::string_view kTokensV1 = R"sql(
CREATE TABLE tokens (
    account TEXT NOT NULL,
    login TEXT NOT NULL,
    access_token BLOB,
    expires_at INTEGER,
    refresh_token BLOB,
    scopes TEXT NOT NULL DEFAULT '',
    obtained_at INTEGER NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account, login)
);
CREATE TABLE key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
);
)sql";

// Version 2: the passphrase's scrypt salt and cost (no row = key file, or a version 1 store whose
// passphrase key came from HKDF without salt).
constexpr std::string_view kKeyDerivationV2 = R"sql(
CREATE TABLE key_derivation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kdf TEXT NOT NULL,
    salt BLOB NOT NULL,
    scrypt_n INTEGER NOT NULL,
    scrypt_r INTEGER NOT NULL,
    scrypt_p INTEGER NOT NULL
);
)sql";
constexpr std::string_view kScryptName = "scrypt";

constexpr std::string_view kKeyCheckPlain = "mailbridge token store key check";
constexpr std::string_view kKeyCheckAssociated = "key_check";

std::string associated(std::string_view account, std::string_view login, std::string_view field) {
    std::string out;
    out.reserve(account.size() + login.size() + field.size() + 2);
    out.append(account).push_back('\0');
    out.append(login).push_back('\0');
    out.append(field);
    return out;
}

std::int64_t unix_seconds(SystemClock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

SystemClock::time_point from_unix(std::int64_t seconds) {
    return SystemClock::time_point(std::chrono::seconds(seconds));
}

// Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back on any error.
template <typename Body>
Result<void> in_transaction(sqlite3* db, Body&& body) {
    if (auto begin = exec(db, "BEGIN IMMEDIATE"); !begin) return begin.error();
    Result<void> done = body();
    if (!done) {
        (void)exec(db, "ROLLBACK");
        return done;
    }
    if (auto commit = exec(db, "COMMIT"); !commit) {
        (void)exec(db, "ROLLBACK");
        return commit.error();
    }
    return {};
}

struct KeyDerivation {
    std::string salt;
    ScryptCost cost;
};

std::uint64_t non_negative(std::int64_t value) {
    return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

Result<std::optional<KeyDerivation>> read_key_derivation(sqlite3* db,
                                                         const std::filesystem::path& file) {
    auto query = Statement::prepare(
        db, "SELECT kdf, salt, scrypt_n, scrypt_r, scrypt_p FROM key_derivation WHERE id = 1");
    if (!query) return query.error();
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return std::optional<KeyDerivation>();
    if (query->bytes(0) != kScryptName)
        return make_error("the token store " + file.string() + " uses the key derivation \"" +
                          query->bytes(0) +
                          "\", which this mailbridge does not know — run the newer mailbridge "
                          "that wrote it");
    KeyDerivation derivation;
    derivation.salt = query->bytes(1);
    derivation.cost.n = non_negative(query->int64(2));
    derivation.cost.r = static_cast<std::uint32_t>(std::min<std::uint64_t>(
        non_negative(query->int64(3)), std::numeric_limits<std::uint32_t>::max()));
    derivation.cost.p = static_cast<std::uint32_t>(std::min<std::uint64_t>(
        non_negative(query->int64(4)), std::numeric_limits<std::uint32_t>::max()));
    return std::optional<KeyDerivation>(std::move(derivation));
}

}  // namespace

const Schema& token_schema() {
    static const Schema schema{
        "token store", {kTokensV1, kKeyDerivationV2}, {"tokens", "key_check", "key_derivation"}};
    return schema;
}

Result<TokenStore> TokenStore::open(const std::filesystem::path& file, TokenCipher cipher) {
    auto db = Database::open(file, token_schema());
    if (!db) return db.error();
    if (auto sync = db->exec("PRAGMA synchronous = FULL"); !sync) return sync.error();
    TokenStore store(std::move(*db), std::move(cipher));
    if (auto checked = store.check_key(); !checked) return checked.error();
    return store;
}

Result<TokenStore> TokenStore::open_in(const std::filesystem::path& state_dir,
                                       const std::optional<Secret>& passphrase) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec)
        return make_error("cannot create state_dir " + state_dir.string() + ": " + ec.message() +
                          " — check [daemon] state_dir");
    ::chmod(state_dir.c_str(), 0700);
    if (passphrase) return open_with_passphrase(state_dir / kTokenStoreFile, *passphrase);
    auto cipher = TokenCipher::from_key_file(state_dir / kTokenKeyFile);
    if (!cipher) return cipher.error();
    return open(state_dir / kTokenStoreFile, std::move(*cipher));
}

Result<TokenStore> TokenStore::open_with_passphrase(const std::filesystem::path& file,
                                                    const Secret& passphrase) {
    if (passphrase.empty())
        return make_error("[daemon] token_key is empty — set a secret or remove the key");
    auto db = Database::open(file, token_schema());
    if (!db) return db.error();
    if (auto sync = db->exec("PRAGMA synchronous = FULL"); !sync) return sync.error();
    auto derivation = read_key_derivation(db->handle(), file);
    if (!derivation) return derivation.error();
    if (*derivation) {
        auto cipher =
            TokenCipher::from_passphrase(passphrase, (*derivation)->salt, (*derivation)->cost);
        if (!cipher) return cipher.error();
        TokenStore store(std::move(*db), std::move(*cipher));
        if (auto checked = store.check_key(); !checked) return checked.error();
        return store;
    }
    // No salt yet: a new store, or one whose values were sealed under the legacy HKDF key (it has
    // a key check). Either way the store moves to a fresh salt and the scrypt key.
    auto legacy = TokenCipher::from_legacy_hkdf_passphrase(passphrase);
    if (!legacy) return legacy.error();
    TokenStore store(std::move(*db), std::move(*legacy));
    auto existing = store.has_key_check();
    if (!existing) return existing.error();
    if (*existing) {
        if (auto checked = store.check_key(); !checked) return checked.error();
    }
    auto salt = TokenCipher::new_salt();
    if (!salt) return salt.error();
    const ScryptCost cost;
    auto cipher = TokenCipher::from_passphrase(passphrase, *salt, cost);
    if (!cipher) return cipher.error();
    auto resealed = store.reseal_under(std::move(*cipher), *salt, cost);
    if (!resealed) {
        // Another process (the CLI beside the daemon) may have moved it first: use its salt.
        auto now = read_key_derivation(store.db_.handle(), file);
        if (now && *now) {
            auto theirs = TokenCipher::from_passphrase(passphrase, (*now)->salt, (*now)->cost);
            if (!theirs) return theirs.error();
            store.cipher_ = std::move(*theirs);
            if (auto checked = store.check_key(); !checked) return checked.error();
            return store;
        }
        return make_error("cannot move the token store " + file.string() +
                          " to its scrypt key (it is unchanged): " + resealed.error().message);
    }
    if (*existing)
        store.notices_.push_back("re-encrypted " + std::to_string(*resealed) + " token row(s) of " +
                                 file.string() +
                                 " under a key derived from [daemon] token_key with scrypt and a "
                                 "per-store salt (was HKDF without salt)");
    return store;
}

Result<bool> TokenStore::has_key_check() {
    auto query = Statement::prepare(db_.handle(), "SELECT 1 FROM key_check WHERE id = 1");
    if (!query) return query.error();
    return query->step();
}

Result<std::size_t> TokenStore::reseal_under(TokenCipher cipher, std::string_view salt,
                                             const ScryptCost& cost) {
    std::size_t rows = 0;
    auto reseal = [&](std::optional<std::string>& value, const std::string& account,
                      const std::string& login, std::string_view field) -> Result<void> {
        if (!value) return {};
        const std::string bound = associated(account, login, field);
        auto opened = cipher_.open(*value, bound);
        if (!opened)
            return make_error("the " + std::string(field) + " of account " + account +
                              (login.empty() ? "" : " login " + login) + ": " +
                              opened.error().message);
        auto sealed = cipher.seal(opened->reveal(), bound);
        if (!sealed) return sealed.error();
        value = std::move(*sealed);
        return {};
    };
    auto done = in_transaction(db_.handle(), [&]() -> Result<void> {
        auto query = Statement::prepare(
            db_.handle(), "SELECT account, login, access_token, refresh_token FROM tokens");
        if (!query) return query.error();
        auto update = Statement::prepare(db_.handle(),
                                         "UPDATE tokens SET access_token = ?, refresh_token = ? "
                                         "WHERE account = ? AND login = ?");
        if (!update) return update.error();
        struct Row {
            std::string account, login;
            std::optional<std::string> access, refresh;
        };
        std::vector<Row> all;
        for (;;) {
            auto row = query->step();
            if (!row) return row.error();
            if (!*row) break;
            all.push_back({query->bytes(0), query->bytes(1), query->optional_bytes(2),
                           query->optional_bytes(3)});
        }
        for (Row& row : all) {
            if (auto ok = reseal(row.access, row.account, row.login, "access_token"); !ok)
                return ok.error();
            if (auto ok = reseal(row.refresh, row.account, row.login, "refresh_token"); !ok)
                return ok.error();
            update->bind_optional_blob(1, row.access).bind_optional_blob(2, row.refresh);
            update->bind_text(3, row.account).bind_text(4, row.login);
            if (auto ran = update->run(); !ran) return ran.error();
        }
        rows = all.size();
        auto check = cipher.seal(kKeyCheckPlain, kKeyCheckAssociated);
        if (!check) return check.error();
        auto replace = Statement::prepare(
            db_.handle(), "INSERT OR REPLACE INTO key_check (id, sealed) VALUES (1, ?)");
        if (!replace) return replace.error();
        if (auto ran = replace->bind_blob(1, *check).run(); !ran) return ran.error();
        auto record = Statement::prepare(db_.handle(),
                                         "INSERT INTO key_derivation (id, kdf, salt, scrypt_n, "
                                         "scrypt_r, scrypt_p) VALUES (1, ?, ?, ?, ?, ?)");
        if (!record) return record.error();
        record->bind_text(1, kScryptName).bind_blob(2, salt);
        record->bind(3, static_cast<std::int64_t>(cost.n))
            .bind(4, static_cast<std::int64_t>(cost.r))
            .bind(5, static_cast<std::int64_t>(cost.p));
        return record->run();
    });
    if (!done) return done.error();
    cipher_ = std::move(cipher);
    return rows;
}

Result<void> TokenStore::check_key() {
    auto query = Statement::prepare(db_.handle(), "SELECT sealed FROM key_check WHERE id = 1");
    if (!query) return query.error();
    auto row = query->step();
    if (!row) return row.error();
    if (*row) {
        if (!cipher_.open(query->bytes(0), kKeyCheckAssociated))
            return make_error("the token key does not match " + db_.file().string() +
                              " (it was written with another key) — restore the original " +
                              std::string(kTokenKeyFile) +
                              " or [daemon] token_key, or move the database aside and run "
                              "mailbridge auth again");
        return {};
    }
    auto sealed = cipher_.seal(kKeyCheckPlain, kKeyCheckAssociated);
    if (!sealed) return sealed.error();
    auto insert =
        Statement::prepare(db_.handle(), "INSERT INTO key_check (id, sealed) VALUES (1, ?)");
    if (!insert) return insert.error();
    return insert->bind_blob(1, *sealed).run();
}

Result<void> TokenStore::put(const StoredToken& token) {
    std::optional<std::string> access;
    std::optional<std::string> refresh;
    if (!token.access_token.empty()) {
        auto sealed = cipher_.seal(token.access_token.reveal(),
                                   associated(token.account, token.login, "access_token"));
        if (!sealed) return sealed.error();
        access = std::move(*sealed);
    }
    if (!token.refresh_token.empty()) {
        auto sealed = cipher_.seal(token.refresh_token.reveal(),
                                   associated(token.account, token.login, "refresh_token"));
        if (!sealed) return sealed.error();
        refresh = std::move(*sealed);
    }
    return in_transaction(db_.handle(), [&]() -> Result<void> {
        auto upsert = Statement::prepare(
            db_.handle(),
            "INSERT OR REPLACE INTO tokens (account, login, access_token, expires_at, "
            "refresh_token, scopes, obtained_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        if (!upsert) return upsert.error();
        upsert->bind_text(1, token.account).bind_text(2, token.login);
        upsert->bind_optional_blob(3, access);
        if (token.expires_at)
            upsert->bind(4, unix_seconds(*token.expires_at));
        else
            upsert->bind_null(4);
        upsert->bind_optional_blob(5, refresh);
        upsert->bind_text(6, token.scopes)
            .bind(7, unix_seconds(token.obtained_at))
            .bind_text(8, token.last_error);
        return upsert->run();
    });
}

Result<StoredToken> TokenStore::row_to_token(Statement& row) const {
    StoredToken token;
    token.account = row.bytes(0);
    token.login = row.bytes(1);
    if (auto sealed = row.optional_bytes(2)) {
        auto opened = cipher_.open(*sealed, associated(token.account, token.login, "access_token"));
        if (!opened)
            return make_error("token store: the access token of account " + token.account +
                              (token.login.empty() ? "" : " login " + token.login) + ": " +
                              opened.error().message);
        token.access_token = std::move(*opened);
    }
    if (auto expires = row.optional_int64(3)) token.expires_at = from_unix(*expires);
    if (auto sealed = row.optional_bytes(4)) {
        auto opened =
            cipher_.open(*sealed, associated(token.account, token.login, "refresh_token"));
        if (!opened)
            return make_error("token store: the refresh token of account " + token.account +
                              (token.login.empty() ? "" : " login " + token.login) + ": " +
                              opened.error().message);
        token.refresh_token = std::move(*opened);
    }
    token.scopes = row.bytes(5);
    token.obtained_at = from_unix(row.int64(6));
    token.last_error = row.bytes(7);
    return token;
}

Result<std::optional<StoredToken>> TokenStore::get(std::string_view account,
                                                   std::string_view login) {
    auto query = Statement::prepare(
        db_.handle(),
        "SELECT account, login, access_token, expires_at, refresh_token, scopes, obtained_at, "
        "last_error FROM tokens WHERE account = ? AND login = ?");
    if (!query) return query.error();
    query->bind_text(1, account).bind_text(2, login);
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return std::optional<StoredToken>();
    auto token = row_to_token(*query);
    if (!token) return token.error();
    return std::optional<StoredToken>(std::move(*token));
}

Result<std::vector<StoredToken>> TokenStore::load_all() {
    auto query = Statement::prepare(
        db_.handle(),
        "SELECT account, login, access_token, expires_at, refresh_token, scopes, obtained_at, "
        "last_error FROM tokens ORDER BY account, login");
    if (!query) return query.error();
    std::vector<StoredToken> tokens;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) break;
        auto token = row_to_token(*query);
        if (!token) return token.error();
        tokens.push_back(std::move(*token));
    }
    return tokens;
}

Result<void> TokenStore::record_refusal(std::string_view account, std::string_view login,
                                        const Secret& used_refresh_token,
                                        std::string_view message) {
    return in_transaction(db_.handle(), [&]() -> Result<void> {
        auto current = get(account, login);
        if (!current) return current.error();
        if (!*current || !((*current)->refresh_token == used_refresh_token)) return {};
        auto update = Statement::prepare(db_.handle(),
                                         "UPDATE tokens SET refresh_token = NULL, last_error = ? "
                                         "WHERE account = ? AND login = ?");
        if (!update) return update.error();
        update->bind_text(1, message).bind_text(2, account).bind_text(3, login);
        return update->run();
    });
}

Result<void> TokenStore::remove(std::string_view account, std::string_view login) {
    auto erase =
        Statement::prepare(db_.handle(), "DELETE FROM tokens WHERE account = ? AND login = ?");
    if (!erase) return erase.error();
    erase->bind_text(1, account).bind_text(2, login);
    return erase->run();
}

}  // namespace mb::store
