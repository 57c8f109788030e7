// CacheStore: the metadata cache in SQLite — per (account, login): mailboxes with UIDVALIDITY,
// UIDNEXT, HIGHESTMODSEQ and a stale flag, and messages keyed by (mailbox, UIDVALIDITY, UID) with
// flags, size, dates and envelope fields stored byte-exact (mailbox names too, except that any
// case of "INBOX" is INBOX). Every call names its Owner and only
// ever reads or writes that owner's rows. Owns its Database (one connection: use one CacheStore
// per thread; the CacheWriter worker has its own, readers such as the CLI open another).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"
#include "store/cache_update.h"
#include "store/database.h"
#include "store/statement.h"

namespace mb::store {

struct MailboxSummary {
    std::string name;
    std::optional<std::uint32_t> uidvalidity;
    std::optional<std::uint32_t> uidnext;
    std::optional<std::uint64_t> highestmodseq;
    std::optional<std::int64_t> last_sync;  // Unix seconds of the last state update
    bool stale = false;                     // the cache missed updates for this mailbox
    std::uint64_t messages = 0;
};

struct MessageSummary {
    std::uint32_t uid = 0;
    std::optional<std::string> flags;
    std::optional<std::uint64_t> rfc822_size;
    std::optional<std::string> internal_date;
    std::optional<std::string> date;
    std::optional<std::string> from;
    std::optional<std::string> subject;
};

struct StoredMessage {
    std::uint32_t uidvalidity = 0;
    std::uint32_t uid = 0;
    std::optional<std::string> flags;
    std::optional<std::uint64_t> rfc822_size;
    std::optional<std::string> internal_date;
    std::optional<std::uint64_t> modseq;
    std::optional<EnvelopeFields> envelope;  // nullopt until an ENVELOPE was seen
};

struct AccountRows {
    std::string account;
    std::uint64_t messages = 0;
};

class CacheStore {
  public:
    static Result<CacheStore> open(const std::filesystem::path& file,
                                   Database::Options options = {});
    // Read-only (see Database::open_read_only): for listings beside a running daemon.
    static Result<CacheStore> open_read_only(const std::filesystem::path& file);

    const Database& database() const { return *database_; }

    // Writes. Each is a single statement or runs inside the caller's transaction (begin/commit).
    Result<void> apply(const CacheUpdate& update);
    // Returns false (and changes nothing) when `uidvalidity` is not the mailbox's current one.
    Result<bool> upsert_message(const Owner& owner, std::string_view mailbox,
                                std::uint32_t uidvalidity, const MessageUpdate& message);
    Result<std::uint64_t> delete_messages(const Owner& owner, std::string_view mailbox,
                                          const std::vector<protocol::imap::UidRange>& uids);
    // Returns true when a changed UIDVALIDITY dropped the mailbox's messages.
    Result<bool> set_mailbox_state(const update::MailboxState& state);
    Result<void> rename_mailbox(const Owner& owner, std::string_view from, std::string_view to);
    Result<void> delete_mailbox(const Owner& owner, std::string_view mailbox);
    Result<void> mark_stale(const Owner& owner, std::string_view mailbox, bool stale = true);
    // Marks every cached mailbox of every owner stale (the writer's fallback when it lost track).
    Result<void> mark_all_stale();

    Result<void> begin();
    Result<void> commit();
    void rollback();

    // Reads, for the CLI and metrics.
    Result<std::vector<std::string>> logins(std::string_view account);
    Result<std::vector<MailboxSummary>> mailboxes(const Owner& owner);
    Result<std::vector<MessageSummary>> messages(const Owner& owner, std::string_view mailbox);
    Result<std::optional<StoredMessage>> message(const Owner& owner, std::string_view mailbox,
                                                 std::uint32_t uid);
    Result<std::vector<AccountRows>> row_counts();

  private:
    struct MailboxRow {
        std::int64_t id = 0;
        std::optional<std::uint32_t> uidvalidity;
    };

    explicit CacheStore(Database database)
        : database_(std::make_unique<Database>(std::move(database))) {}
    Result<Statement*> statement(Statement& slot, std::string_view sql);
    // Drops the cached "mailbox/…" and "mailbox.…" mailboxes of the owner (RENAME moved them).
    Result<void> forget_inferiors(const Owner& owner, std::string_view mailbox);
    Result<std::optional<std::int64_t>> login_id(const Owner& owner, bool create);
    Result<std::optional<MailboxRow>> find_mailbox(const Owner& owner, std::string_view mailbox,
                                                   bool create);

    std::unique_ptr<Database> database_;
    Statement find_login_;
    Statement insert_login_;
    Statement find_mailbox_;
    Statement insert_mailbox_;
    Statement upsert_message_;
    Statement delete_range_;
};

}  // namespace mb::store
