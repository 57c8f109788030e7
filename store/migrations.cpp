// Migration steps of the metadata cache schema and the runner that applies them.
#include "store/migrations.h"

#include <sqlite3.h>

#include <algorithm>

#include "store/statement.h"

namespace mb::store {

namespace {

// Version 1: the tables. Strings that come from IMAP are BLOBs so they round-trip byte for byte.
constexpr std::string_view kCacheV1 = R"sql(
CREATE TABLE logins (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    login TEXT NOT NULL,
    UNIQUE (account, login)
);
CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY,
    login_id INTEGER NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    name BLOB NOT NULL,
    uidvalidity INTEGER,
    uidnext INTEGER,
    highestmodseq INTEGER,
    last_sync INTEGER,
    stale INTEGER NOT NULL DEFAULT 0,
    UNIQUE (login_id, name)
);
CREATE TABLE messages (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    flags TEXT,
    rfc822_size INTEGER,
    internaldate TEXT,
    date BLOB,
    subject BLOB,
    from_addr BLOB,
    to_addr BLOB,
    cc_addr BLOB,
    message_id BLOB,
    in_reply_to BLOB,
    envelope BLOB,
    modseq INTEGER,
    PRIMARY KEY (mailbox_id, uidvalidity, uid)
) WITHOUT ROWID;
CREATE INDEX messages_mailbox_uid ON messages (mailbox_id, uid);
)sql";

// Version 2: lookups by modification sequence (CONDSTORE resync), Message-ID (threads) and date.
constexpr std::string_view kCacheV2 = R"sql(
CREATE INDEX messages_mailbox_modseq ON messages (mailbox_id, modseq);
CREATE INDEX messages_message_id ON messages (message_id);
CREATE INDEX messages_date ON messages (date);
)sql";

}  // namespace

const Schema& cache_schema() {
    static const Schema schema{
        "metadata cache", {kCacheV1, kCacheV2}, {"logins", "mailboxes", "messages"}};
    return schema;
}

Result<FileKind> classify(sqlite3* db, const Schema& schema) {
    auto tables = Statement::prepare(
        db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    if (!tables) return tables.error();
    bool any = false;
    bool has_version = false;
    bool foreign = false;
    bool own = false;
    for (;;) {
        auto row = tables->step();
        if (!row) return row.error();
        if (!*row) break;
        any = true;
        const std::string name = tables->bytes(0);
        if (name == "schema_version") {
            has_version = true;
        } else if (std::find(schema.own_tables.begin(), schema.own_tables.end(), name) ==
                   schema.own_tables.end()) {
            foreign = true;
        } else {
            own = true;
        }
    }
    if (!any) return FileKind::Empty;
    if (!has_version || !own) return FileKind::Foreign;
    // A newer version of ours may have added tables this build does not know: still ours.
    auto version = schema_version(db);
    if (!version) return version.error();
    if (foreign && *version <= schema.version()) return FileKind::Foreign;
    return FileKind::Ours;
}

Result<int> schema_version(sqlite3* db) {
    auto exists = Statement::prepare(
        db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'");
    if (!exists) return exists.error();
    auto found = exists->step();
    if (!found) return found.error();
    if (!*found) return 0;
    auto query = Statement::prepare(db, "SELECT MAX(version) FROM schema_version");
    if (!query) return query.error();
    auto row = query->step();
    if (!row) return row.error();
    if (!*row || query->is_null(0)) return 0;
    return static_cast<int>(query->int64(0));
}

Result<void> migrate(sqlite3* db, const Schema& schema, int target) {
    if (target < 0) target = schema.version();
    // An up-to-date file needs no write lock, so readers can open it while a writer is busy.
    if (auto current = schema_version(db); current && *current == target) return {};
    auto begun = exec(db, "BEGIN IMMEDIATE");
    if (!begun) return begun;
    auto fail = [db](Error error) -> Result<void> {
        (void)exec(db, "ROLLBACK");
        return error;
    };
    auto version = schema_version(db);
    if (!version) return fail(version.error());
    if (*version > schema.version())
        return fail(make_error("the " + schema.name + " database has schema version " +
                               std::to_string(*version) + ", newer than this mailbridge (" +
                               std::to_string(schema.version()) +
                               ") understands; upgrade mailbridge or move the file away"));
    if (*version == 0) {
        auto created =
            exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        if (!created) return fail(created.error());
    }
    for (int step = *version; step < target; ++step) {
        auto applied = exec(db, schema.steps[static_cast<std::size_t>(step)]);
        if (!applied)
            return fail(make_error("migrating the " + schema.name + " database to version " +
                                   std::to_string(step + 1) +
                                   " failed: " + applied.error().message));
    }
    if (target > *version) {
        auto recorded = exec(db, "DELETE FROM schema_version; INSERT INTO schema_version VALUES (" +
                                     std::to_string(target) + ")");
        if (!recorded) return fail(recorded.error());
    }
    auto committed = exec(db, "COMMIT");
    if (!committed) return fail(committed.error());
    return {};
}

}  // namespace mb::store
