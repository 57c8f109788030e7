// The token store (see token_store.h): schema, key check, sealed columns and the transactions.
#include "store/token_store.h"

#include <sys/stat.h>

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

}  // namespace

const Schema& token_schema() {
    static const Schema schema{"token store", {kTokensV1}, {"tokens", "key_check"}};
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
    auto cipher = passphrase ? TokenCipher::from_passphrase(*passphrase)
                             : TokenCipher::from_key_file(state_dir / kTokenKeyFile);
    if (!cipher) return cipher.error();
    return open(state_dir / kTokenStoreFile, std::move(*cipher));
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
