// CacheUpdate: one change to the metadata cache, as the cache tracker produces it and the
// CacheWriter applies it. Plain values (copied into the writer's queue); every update names the
// (account, login) that owns it, so one user's traffic can never touch another's rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/imap/fetch_response.h"
#include "protocol/result.h"

namespace mb::store {

struct Owner {
    std::string account;
    std::string login;
    bool operator==(const Owner&) const = default;
    auto operator<=>(const Owner&) const = default;
};

// The envelope fields the cache keeps, read from the raw ENVELOPE; NIL is nullopt. Addresses are
// rendered for display.
struct EnvelopeFields {
    std::optional<std::string> date;
    std::optional<std::string> subject;
    std::optional<std::string> from;
    std::optional<std::string> to;
    std::optional<std::string> cc;
    std::optional<std::string> message_id;
    std::optional<std::string> in_reply_to;
    std::string raw;  // the exact bytes of the ENVELOPE list
    bool operator==(const EnvelopeFields&) const = default;
};

// What one FETCH told about a message: fields left nullopt are kept as stored.
struct MessageUpdate {
    std::uint32_t uid = 0;
    std::optional<std::string> flags;  // space-separated, "" for no flags
    std::optional<std::uint64_t> rfc822_size;
    std::optional<std::string> internal_date;
    std::optional<std::uint64_t> modseq;
    // The exact bytes of the ENVELOPE list; the store reads the fields from them (on the
    // writer's thread, and only when the row changes).
    std::optional<std::string> envelope;
};

// nullopt when the FETCH carries no UID (the tracker must map the sequence number first). Takes
// the FETCH's strings (call with std::move, or a copy).
std::optional<MessageUpdate> message_update_from_fetch(protocol::imap::FetchData fetch,
                                                       std::optional<std::uint32_t> known_uid = {});

// Reads the cached fields of a raw ENVELOPE list; an error when it is not one.
Result<EnvelopeFields> envelope_fields(std::string raw);

namespace update {

struct UpsertMessage {
    Owner owner;
    std::string mailbox;
    std::uint32_t uidvalidity = 0;
    MessageUpdate message;
};
struct DeleteMessages {
    Owner owner;
    std::string mailbox;
    std::vector<protocol::imap::UidRange> uids;
};
struct MailboxState {  // from SELECT/EXAMINE responses; nullopt fields are kept
    Owner owner;
    std::string mailbox;
    std::optional<std::uint32_t> uidvalidity;  // a change drops the mailbox's messages
    std::optional<std::uint32_t> uidnext;
    std::optional<std::uint64_t> highestmodseq;
};
struct RenameMailbox {
    Owner owner;
    std::string from;
    std::string to;
};
struct DeleteMailbox {
    Owner owner;
    std::string mailbox;
};
struct MarkStale {
    Owner owner;
    std::string mailbox;
};

}  // namespace update

using CacheUpdate =
    std::variant<update::UpsertMessage, update::DeleteMessages, update::MailboxState,
                 update::RenameMailbox, update::DeleteMailbox, update::MarkStale>;

// The owner and mailbox an update concerns (RenameMailbox: its source).
const Owner& owner_of(const CacheUpdate& update);
const std::string& mailbox_of(const CacheUpdate& update);

}  // namespace mb::store
