// CacheStore implementation: owner and mailbox rows are found (or created) by name, message
// upserts merge partial FETCH data into the stored row, and reads join through the owner's login.
#include "store/cache_store.h"

#include <sqlite3.h>

#include <chrono>

#include "protocol/imap/syntax.h"

namespace mb::store {

namespace {

constexpr std::string_view kFindLogin = "SELECT id FROM logins WHERE account = ?1 AND login = ?2";
constexpr std::string_view kInsertLogin =
    "INSERT OR IGNORE INTO logins (account, login) VALUES (?1, ?2)";
constexpr std::string_view kFindMailbox =
    "SELECT id, uidvalidity FROM mailboxes WHERE login_id = ?1 AND name = ?2";
constexpr std::string_view kInsertMailbox =
    "INSERT OR IGNORE INTO mailboxes (login_id, name) VALUES (?1, ?2)";
constexpr std::string_view kDeleteRange =
    "DELETE FROM messages WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3";

// ?16 is 1 when the update carries an envelope: then every envelope column is replaced (NIL
// fields become NULL); otherwise they are kept. A row that would not change is not rewritten
// (clients re-fetch the same metadata often; an unchanged row costs a lookup, not a write).
constexpr std::string_view kUpsertMessage = R"sql(
INSERT INTO messages (mailbox_id, uidvalidity, uid, flags, rfc822_size, internaldate, modseq,
                      date, subject, from_addr, to_addr, cc_addr, message_id, in_reply_to,
                      envelope)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
ON CONFLICT (mailbox_id, uidvalidity, uid) DO UPDATE SET
    flags = COALESCE(excluded.flags, flags),
    rfc822_size = COALESCE(excluded.rfc822_size, rfc822_size),
    internaldate = COALESCE(excluded.internaldate, internaldate),
    modseq = COALESCE(excluded.modseq, modseq),
    date = CASE WHEN ?16 THEN excluded.date ELSE date END,
    subject = CASE WHEN ?16 THEN excluded.subject ELSE subject END,
    from_addr = CASE WHEN ?16 THEN excluded.from_addr ELSE from_addr END,
    to_addr = CASE WHEN ?16 THEN excluded.to_addr ELSE to_addr END,
    cc_addr = CASE WHEN ?16 THEN excluded.cc_addr ELSE cc_addr END,
    message_id = CASE WHEN ?16 THEN excluded.message_id ELSE message_id END,
    in_reply_to = CASE WHEN ?16 THEN excluded.in_reply_to ELSE in_reply_to END,
    envelope = CASE WHEN ?16 THEN excluded.envelope ELSE envelope END
WHERE flags IS NOT COALESCE(excluded.flags, flags)
   OR rfc822_size IS NOT COALESCE(excluded.rfc822_size, rfc822_size)
   OR internaldate IS NOT COALESCE(excluded.internaldate, internaldate)
   OR modseq IS NOT COALESCE(excluded.modseq, modseq)
   OR (?16 AND (envelope IS NOT excluded.envelope OR date IS NOT excluded.date
                OR subject IS NOT excluded.subject OR from_addr IS NOT excluded.from_addr
                OR to_addr IS NOT excluded.to_addr OR cc_addr IS NOT excluded.cc_addr
                OR message_id IS NOT excluded.message_id
                OR in_reply_to IS NOT excluded.in_reply_to))
)sql";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// INBOX is case-insensitive (RFC 3501 §5.1); every other name is kept byte for byte.
std::string_view canonical_name(std::string_view mailbox) {
    return protocol::imap::iequals(mailbox, "INBOX") ? std::string_view("INBOX") : mailbox;
}

template <typename T>
std::optional<T> optional_as(const std::optional<std::int64_t>& value) {
    if (!value) return std::nullopt;
    return static_cast<T>(*value);
}

}  // namespace

Result<CacheStore> CacheStore::open(const std::filesystem::path& file, Database::Options options) {
    auto database = Database::open(file, cache_schema(), options);
    if (!database) return database.error();
    return CacheStore(std::move(*database));
}

Result<CacheStore> CacheStore::open_read_only(const std::filesystem::path& file) {
    auto database = Database::open_read_only(file, cache_schema());
    if (!database) return database.error();
    return CacheStore(std::move(*database));
}

Result<Statement*> CacheStore::statement(Statement& slot, std::string_view sql) {
    if (!slot.prepared()) {
        auto prepared = Statement::prepare(database_->handle(), sql);
        if (!prepared) return prepared.error();
        slot = std::move(*prepared);
    }
    slot.reset();
    return &slot;
}

Result<std::optional<std::int64_t>> CacheStore::login_id(const Owner& owner, bool create) {
    if (create) {
        auto insert = statement(insert_login_, kInsertLogin);
        if (!insert) return insert.error();
        auto inserted = (*insert)->bind_text(1, owner.account).bind_text(2, owner.login).run();
        if (!inserted) return inserted.error();
    }
    auto find = statement(find_login_, kFindLogin);
    if (!find) return find.error();
    Statement& query = **find;
    query.bind_text(1, owner.account).bind_text(2, owner.login);
    auto row = query.step();
    if (!row) return row.error();
    std::optional<std::int64_t> id;
    if (*row) id = query.int64(0);
    query.reset();
    return id;
}

Result<std::optional<CacheStore::MailboxRow>> CacheStore::find_mailbox(const Owner& owner,
                                                                       std::string_view mailbox,
                                                                       bool create) {
    mailbox = canonical_name(mailbox);
    auto login = login_id(owner, create);
    if (!login) return login.error();
    if (!*login) return std::optional<MailboxRow>();
    if (create) {
        auto insert = statement(insert_mailbox_, kInsertMailbox);
        if (!insert) return insert.error();
        auto inserted = (*insert)->bind(1, **login).bind_blob(2, mailbox).run();
        if (!inserted) return inserted.error();
    }
    auto find = statement(find_mailbox_, kFindMailbox);
    if (!find) return find.error();
    Statement& query = **find;
    query.bind(1, **login).bind_blob(2, mailbox);
    auto row = query.step();
    if (!row) return row.error();
    std::optional<MailboxRow> out;
    if (*row) out = MailboxRow{query.int64(0), optional_as<std::uint32_t>(query.optional_int64(1))};
    query.reset();
    return out;
}

Result<void> CacheStore::apply(const CacheUpdate& update) {
    return std::visit(
        [this](const auto& u) -> Result<void> {
            using T = std::decay_t<decltype(u)>;
            if constexpr (std::is_same_v<T, update::UpsertMessage>) {
                auto done = upsert_message(u.owner, u.mailbox, u.uidvalidity, u.message);
                if (!done) return done.error();
            } else if constexpr (std::is_same_v<T, update::DeleteMessages>) {
                auto done = delete_messages(u.owner, u.mailbox, u.uids);
                if (!done) return done.error();
            } else if constexpr (std::is_same_v<T, update::MailboxState>) {
                auto done = set_mailbox_state(u);
                if (!done) return done.error();
            } else if constexpr (std::is_same_v<T, update::RenameMailbox>) {
                return rename_mailbox(u.owner, u.from, u.to);
            } else if constexpr (std::is_same_v<T, update::DeleteMailbox>) {
                return delete_mailbox(u.owner, u.mailbox);
            } else {
                return mark_stale(u.owner, u.mailbox);
            }
            return {};
        },
        update);
}

Result<bool> CacheStore::upsert_message(const Owner& owner, std::string_view mailbox,
                                        std::uint32_t uidvalidity, const MessageUpdate& message) {
    if (uidvalidity == 0 || message.uid == 0)
        return make_error("cache update for " + std::string(mailbox) +
                          " lacks its UIDVALIDITY or UID; the tracker must know both");
    auto row = find_mailbox(owner, mailbox, true);
    if (!row) return row.error();
    if (!*row) return make_error("cannot create the mailbox row for " + std::string(mailbox));
    if (!(*row)->uidvalidity) {
        update::MailboxState state{owner, std::string(mailbox), uidvalidity, {}, {}};
        auto set = set_mailbox_state(state);
        if (!set) return set.error();
    } else if (*(*row)->uidvalidity != uidvalidity) {
        return false;
    }
    auto upsert = statement(upsert_message_, kUpsertMessage);
    if (!upsert) return upsert.error();
    Statement& s = **upsert;
    s.bind(1, (*row)->id).bind(2, uidvalidity).bind(3, message.uid);
    if (message.flags)
        s.bind_text(4, *message.flags);
    else
        s.bind_null(4);
    s.bind_optional(5, message.rfc822_size);
    if (message.internal_date)
        s.bind_text(6, *message.internal_date);
    else
        s.bind_null(6);
    s.bind_optional(7, message.modseq);
    // An envelope that cannot be read is left out; the rest of the update still lands.
    std::optional<EnvelopeFields> envelope;
    if (message.envelope)
        if (auto fields = envelope_fields(*message.envelope); fields) envelope = std::move(*fields);
    if (envelope) {
        s.bind_optional_blob(8, envelope->date)
            .bind_optional_blob(9, envelope->subject)
            .bind_optional_blob(10, envelope->from)
            .bind_optional_blob(11, envelope->to)
            .bind_optional_blob(12, envelope->cc)
            .bind_optional_blob(13, envelope->message_id)
            .bind_optional_blob(14, envelope->in_reply_to)
            .bind_blob(15, envelope->raw);
    } else {
        for (int index = 8; index <= 15; ++index) s.bind_null(index);
    }
    s.bind(16, envelope ? 1 : 0);
    auto ran = s.run();
    if (!ran) return ran.error();
    return true;
}

Result<std::uint64_t> CacheStore::delete_messages(
    const Owner& owner, std::string_view mailbox,
    const std::vector<protocol::imap::UidRange>& uids) {
    auto row = find_mailbox(owner, mailbox, false);
    if (!row) return row.error();
    if (!*row) return std::uint64_t{0};
    std::uint64_t deleted = 0;
    for (const protocol::imap::UidRange& range : uids) {
        auto remove = statement(delete_range_, kDeleteRange);
        if (!remove) return remove.error();
        auto ran = (*remove)->bind(1, (*row)->id).bind(2, range.first).bind(3, range.last).run();
        if (!ran) return ran.error();
        deleted += static_cast<std::uint64_t>(sqlite3_changes(database_->handle()));
    }
    return deleted;
}

Result<bool> CacheStore::set_mailbox_state(const update::MailboxState& state) {
    auto row = find_mailbox(state.owner, state.mailbox, true);
    if (!row) return row.error();
    if (!*row) return make_error("cannot create the mailbox row for " + state.mailbox);
    const bool changed =
        state.uidvalidity && (*row)->uidvalidity && *(*row)->uidvalidity != *state.uidvalidity;
    if (changed) {
        auto remove =
            Statement::prepare(database_->handle(), "DELETE FROM messages WHERE mailbox_id = ?1");
        if (!remove) return remove.error();
        auto ran = remove->bind(1, (*row)->id).run();
        if (!ran) return ran.error();
    }
    // A new UIDVALIDITY also invalidates UIDNEXT and HIGHESTMODSEQ learned under the old one.
    auto set = Statement::prepare(database_->handle(), R"sql(
UPDATE mailboxes SET
    uidvalidity = COALESCE(?2, uidvalidity),
    uidnext = CASE WHEN ?5 THEN ?3 ELSE COALESCE(?3, uidnext) END,
    highestmodseq = CASE WHEN ?5 THEN ?4 ELSE COALESCE(?4, highestmodseq) END,
    stale = CASE WHEN ?5 THEN 0 ELSE stale END,
    last_sync = ?6
WHERE id = ?1)sql");
    if (!set) return set.error();
    set->bind(1, (*row)->id)
        .bind_optional(2, state.uidvalidity)
        .bind_optional(3, state.uidnext)
        .bind_optional(4, state.highestmodseq)
        .bind(5, changed ? 1 : 0)
        .bind(6, unix_now());
    auto ran = set->run();
    if (!ran) return ran.error();
    return changed;
}

Result<void> CacheStore::rename_mailbox(const Owner& owner, std::string_view from,
                                        std::string_view to) {
    // Renaming INBOX moves its messages to the new mailbox and leaves INBOX empty (RFC 3501
    // §6.3.5): the cache forgets both and learns them again on the next SELECT.
    if (protocol::imap::iequals(from, "INBOX")) {
        if (auto dropped = delete_mailbox(owner, from); !dropped) return dropped;
        return delete_mailbox(owner, to);
    }
    // RENAME moves the inferiors too (a/x → b/x). The hierarchy delimiter is not known here, so
    // the cache forgets every "from/…" and "from.…" mailbox: dropping a row is never wrong, keeping
    // one under its old name would be.
    if (auto inferiors = forget_inferiors(owner, from); !inferiors) return inferiors;
    auto source = find_mailbox(owner, from, false);
    if (!source) return source.error();
    if (!*source) return {};
    if (auto cleared = delete_mailbox(owner, to); !cleared) return cleared;
    auto rename =
        Statement::prepare(database_->handle(), "UPDATE mailboxes SET name = ?2 WHERE id = ?1");
    if (!rename) return rename.error();
    return rename->bind(1, (*source)->id).bind_blob(2, canonical_name(to)).run();
}

Result<void> CacheStore::forget_inferiors(const Owner& owner, std::string_view mailbox) {
    auto login = login_id(owner, false);
    if (!login) return login.error();
    if (!*login) return {};
    auto remove = Statement::prepare(database_->handle(),
                                     "DELETE FROM mailboxes WHERE login_id = ?1 AND "
                                     "(substr(name, 1, ?2) = ?3 OR substr(name, 1, ?2) = ?4)");
    if (!remove) return remove.error();
    const std::string slash = std::string(mailbox) + "/";
    const std::string dot = std::string(mailbox) + ".";
    return remove->bind(1, **login)
        .bind(2, static_cast<std::int64_t>(slash.size()))
        .bind_blob(3, slash)
        .bind_blob(4, dot)
        .run();
}

Result<void> CacheStore::delete_mailbox(const Owner& owner, std::string_view mailbox) {
    auto row = find_mailbox(owner, mailbox, false);
    if (!row) return row.error();
    if (!*row) return {};
    auto remove = Statement::prepare(database_->handle(), "DELETE FROM mailboxes WHERE id = ?1");
    if (!remove) return remove.error();
    return remove->bind(1, (*row)->id).run();
}

Result<void> CacheStore::mark_stale(const Owner& owner, std::string_view mailbox, bool stale) {
    auto row = find_mailbox(owner, mailbox, stale);
    if (!row) return row.error();
    if (!*row) return {};
    auto mark =
        Statement::prepare(database_->handle(), "UPDATE mailboxes SET stale = ?2 WHERE id = ?1");
    if (!mark) return mark.error();
    return mark->bind(1, (*row)->id).bind(2, stale ? 1 : 0).run();
}

Result<void> CacheStore::mark_all_stale() {
    return database_->exec("UPDATE mailboxes SET stale = 1");
}

Result<void> CacheStore::begin() {
    return database_->exec("BEGIN IMMEDIATE");
}

Result<void> CacheStore::commit() {
    return database_->exec("COMMIT");
}

void CacheStore::rollback() {
    if (!sqlite3_get_autocommit(database_->handle())) (void)database_->exec("ROLLBACK");
}

Result<std::vector<std::string>> CacheStore::logins(std::string_view account) {
    auto query = Statement::prepare(database_->handle(),
                                    "SELECT login FROM logins WHERE account = ?1 ORDER BY login");
    if (!query) return query.error();
    query->bind_text(1, account);
    std::vector<std::string> out;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back(query->bytes(0));
    }
    return out;
}

Result<std::vector<MailboxSummary>> CacheStore::mailboxes(const Owner& owner) {
    auto query = Statement::prepare(database_->handle(), R"sql(
SELECT m.name, m.uidvalidity, m.uidnext, m.highestmodseq, m.last_sync, m.stale,
       (SELECT COUNT(*) FROM messages WHERE mailbox_id = m.id AND uidvalidity = m.uidvalidity)
FROM mailboxes m JOIN logins l ON l.id = m.login_id
WHERE l.account = ?1 AND l.login = ?2
ORDER BY m.name)sql");
    if (!query) return query.error();
    query->bind_text(1, owner.account).bind_text(2, owner.login);
    std::vector<MailboxSummary> out;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) break;
        MailboxSummary summary;
        summary.name = query->bytes(0);
        summary.uidvalidity = optional_as<std::uint32_t>(query->optional_int64(1));
        summary.uidnext = optional_as<std::uint32_t>(query->optional_int64(2));
        summary.highestmodseq = optional_as<std::uint64_t>(query->optional_int64(3));
        summary.last_sync = query->optional_int64(4);
        summary.stale = query->int64(5) != 0;
        summary.messages = static_cast<std::uint64_t>(query->int64(6));
        out.push_back(std::move(summary));
    }
    return out;
}

Result<std::vector<MessageSummary>> CacheStore::messages(const Owner& owner,
                                                         std::string_view mailbox) {
    auto row = find_mailbox(owner, mailbox, false);
    if (!row) return row.error();
    std::vector<MessageSummary> out;
    if (!*row || !(*row)->uidvalidity) return out;
    auto query = Statement::prepare(database_->handle(), R"sql(
SELECT uid, flags, rfc822_size, internaldate, date, from_addr, subject FROM messages
WHERE mailbox_id = ?1 AND uidvalidity = ?2 ORDER BY uid)sql");
    if (!query) return query.error();
    query->bind(1, (*row)->id).bind(2, *(*row)->uidvalidity);
    for (;;) {
        auto next = query->step();
        if (!next) return next.error();
        if (!*next) break;
        MessageSummary summary;
        summary.uid = static_cast<std::uint32_t>(query->int64(0));
        summary.flags = query->optional_bytes(1);
        summary.rfc822_size = optional_as<std::uint64_t>(query->optional_int64(2));
        summary.internal_date = query->optional_bytes(3);
        summary.date = query->optional_bytes(4);
        summary.from = query->optional_bytes(5);
        summary.subject = query->optional_bytes(6);
        out.push_back(std::move(summary));
    }
    return out;
}

Result<std::optional<StoredMessage>> CacheStore::message(const Owner& owner,
                                                         std::string_view mailbox,
                                                         std::uint32_t uid) {
    auto row = find_mailbox(owner, mailbox, false);
    if (!row) return row.error();
    if (!*row || !(*row)->uidvalidity) return std::optional<StoredMessage>();
    auto query = Statement::prepare(database_->handle(), R"sql(
SELECT uidvalidity, uid, flags, rfc822_size, internaldate, modseq, date, subject, from_addr,
       to_addr, cc_addr, message_id, in_reply_to, envelope
FROM messages WHERE mailbox_id = ?1 AND uidvalidity = ?2 AND uid = ?3)sql");
    if (!query) return query.error();
    query->bind(1, (*row)->id).bind(2, *(*row)->uidvalidity).bind(3, uid);
    auto found = query->step();
    if (!found) return found.error();
    if (!*found) return std::optional<StoredMessage>();
    StoredMessage out;
    out.uidvalidity = static_cast<std::uint32_t>(query->int64(0));
    out.uid = static_cast<std::uint32_t>(query->int64(1));
    out.flags = query->optional_bytes(2);
    out.rfc822_size = optional_as<std::uint64_t>(query->optional_int64(3));
    out.internal_date = query->optional_bytes(4);
    out.modseq = optional_as<std::uint64_t>(query->optional_int64(5));
    if (!query->is_null(13))
        out.envelope = EnvelopeFields{query->optional_bytes(6),  query->optional_bytes(7),
                                      query->optional_bytes(8),  query->optional_bytes(9),
                                      query->optional_bytes(10), query->optional_bytes(11),
                                      query->optional_bytes(12), query->bytes(13)};
    return std::optional<StoredMessage>(std::move(out));
}

Result<std::vector<AccountRows>> CacheStore::row_counts() {
    auto query = Statement::prepare(database_->handle(), R"sql(
SELECT l.account, COUNT(msg.uid) FROM logins l
LEFT JOIN mailboxes m ON m.login_id = l.id
LEFT JOIN messages msg ON msg.mailbox_id = m.id
GROUP BY l.account ORDER BY l.account)sql");
    if (!query) return query.error();
    std::vector<AccountRows> out;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back({query->bytes(0), static_cast<std::uint64_t>(query->int64(1))});
    }
    return out;
}

}  // namespace mb::store
