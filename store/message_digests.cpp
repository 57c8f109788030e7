// MessageDigests implementation. The rules follow CacheStore: an upsert only lands when its
// UIDVALIDITY is the mailbox's; a MailboxState with another UIDVALIDITY drops the mailbox's
// messages; RENAME and DELETE move or drop whole hierarchies (here: forget the owner).
#include "store/message_digests.h"

#include <functional>

#include "protocol/imap/syntax.h"

namespace mb::store {

namespace {

enum Field : std::uint8_t {
    kFlags = 1,
    kSize = 2,
    kInternalDate = 4,
    kModseq = 8,
    kEnvelope = 16,
};

std::uint64_t digest_of(std::string_view text) {
    return std::hash<std::string_view>{}(text);
}

std::string_view canonical(std::string_view mailbox) {
    return protocol::imap::iequals(mailbox, "INBOX") ? std::string_view("INBOX") : mailbox;
}

// Calls `visit(field, value)` for every field the update carries.
template <typename Visit>
void each_field(const MessageUpdate& message, Visit&& visit) {
    if (message.flags) visit(kFlags, digest_of(*message.flags));
    if (message.rfc822_size) visit(kSize, *message.rfc822_size);
    if (message.internal_date) visit(kInternalDate, digest_of(*message.internal_date));
    if (message.modseq) visit(kModseq, *message.modseq);
    // The stored envelope fields are a function of the raw bytes.
    if (message.envelope) visit(kEnvelope, digest_of(*message.envelope));
}

auto& slot(auto& digest, Field field) {
    switch (field) {
        case kFlags:
            return digest.flags;
        case kSize:
            return digest.size;
        case kInternalDate:
            return digest.internal_date;
        case kModseq:
            return digest.modseq;
        case kEnvelope:
            break;
    }
    return digest.envelope;
}

}  // namespace

MessageDigests::KeyView MessageDigests::key(const Owner& owner, std::string_view mailbox) {
    return {owner.account, owner.login, canonical(mailbox)};
}

MessageDigests::Mailbox* MessageDigests::find(const Owner& owner, std::string_view mailbox) {
    auto it = mailboxes_.find(key(owner, mailbox));
    if (it == mailboxes_.end()) return nullptr;
    it->second.used = ++clock_;
    return &it->second;
}

MessageDigests::Mailbox& MessageDigests::find_or_add(const Owner& owner, std::string_view mailbox) {
    auto it = mailboxes_.find(key(owner, mailbox));
    if (it == mailboxes_.end())
        it = mailboxes_
                 .emplace(Key{owner.account, owner.login, std::string(canonical(mailbox))},
                          Mailbox{})
                 .first;
    it->second.used = ++clock_;
    return it->second;
}

bool MessageDigests::unchanged(const update::UpsertMessage& upsert) {
    const Mailbox* mailbox = find(upsert.owner, upsert.mailbox);
    if (!mailbox || mailbox->uidvalidity != upsert.uidvalidity) return false;
    auto it = mailbox->messages.find(upsert.message.uid);
    if (it == mailbox->messages.end()) return false;
    const Digest& known = it->second;
    bool same = true;
    each_field(upsert.message, [&](Field field, std::uint64_t value) {
        if (!(known.present & field) || slot(known, field) != value) same = false;
    });
    return same;
}

void MessageDigests::record(const CacheUpdate& update) {
    std::visit(
        [this](const auto& u) {
            using T = std::decay_t<decltype(u)>;
            if constexpr (std::is_same_v<T, update::UpsertMessage>) {
                record_upsert(u);
            } else if constexpr (std::is_same_v<T, update::DeleteMessages>) {
                remove_messages(u);
            } else if constexpr (std::is_same_v<T, update::MailboxState>) {
                if (!u.uidvalidity) return;
                Mailbox& mailbox = find_or_add(u.owner, u.mailbox);
                if (mailbox.uidvalidity != u.uidvalidity) drop_messages(mailbox);
                mailbox.uidvalidity = u.uidvalidity;
            } else if constexpr (std::is_same_v<T, update::RenameMailbox> ||
                                 std::is_same_v<T, update::DeleteMailbox>) {
                forget_owner(u.owner);
            }
            // MarkStale changes no message.
        },
        update);
}

void MessageDigests::record_upsert(const update::UpsertMessage& upsert) {
    Mailbox* mailbox = find(upsert.owner, upsert.mailbox);
    // Without an exactly known UIDVALIDITY the store may or may not take the upsert; when it is
    // known and differs, the store ignores it. Either way there is nothing certain to remember.
    if (!mailbox || mailbox->uidvalidity != upsert.uidvalidity) return;
    auto it = mailbox->messages.find(upsert.message.uid);
    if (it == mailbox->messages.end()) {
        if (total_ >= max_messages_) evict_for(*mailbox);
        if (total_ >= max_messages_) return;  // this mailbox alone fills the bound
        it = mailbox->messages.emplace(upsert.message.uid, Digest{}).first;
        ++total_;
    }
    Digest& known = it->second;
    each_field(upsert.message, [&](Field field, std::uint64_t value) {
        slot(known, field) = value;
        known.present |= field;
    });
}

void MessageDigests::remove_messages(const update::DeleteMessages& deleted) {
    Mailbox* mailbox = find(deleted.owner, deleted.mailbox);
    if (!mailbox) return;
    for (const protocol::imap::UidRange& range : deleted.uids) {
        const std::uint64_t span = std::uint64_t{range.last} - range.first + 1;
        if (span <= mailbox->messages.size()) {
            for (std::uint64_t uid = range.first; uid <= range.last; ++uid)
                total_ -= mailbox->messages.erase(static_cast<std::uint32_t>(uid));
        } else {
            total_ -= std::erase_if(mailbox->messages, [&](const auto& entry) {
                return entry.first >= range.first && entry.first <= range.last;
            });
        }
    }
}

void MessageDigests::forget(const Owner& owner, std::string_view mailbox) {
    auto it = mailboxes_.find(key(owner, mailbox));
    if (it == mailboxes_.end()) return;
    total_ -= it->second.messages.size();
    mailboxes_.erase(it);
}

void MessageDigests::forget_owner(const Owner& owner) {
    std::erase_if(mailboxes_, [&](auto& entry) {
        const auto& [account, login, name] = entry.first;
        if (account != owner.account || login != owner.login) return false;
        total_ -= entry.second.messages.size();
        return true;
    });
}

void MessageDigests::clear() {
    mailboxes_.clear();
    total_ = 0;
}

void MessageDigests::drop_messages(Mailbox& mailbox) {
    total_ -= mailbox.messages.size();
    mailbox.messages = {};
}

// Forgets the least recently used other mailboxes until one more message fits.
void MessageDigests::evict_for(const Mailbox& keep) {
    while (total_ >= max_messages_) {
        auto oldest = mailboxes_.end();
        for (auto it = mailboxes_.begin(); it != mailboxes_.end(); ++it) {
            if (&it->second == &keep || it->second.messages.empty()) continue;
            if (oldest == mailboxes_.end() || it->second.used < oldest->second.used) oldest = it;
        }
        if (oldest == mailboxes_.end()) return;
        total_ -= oldest->second.messages.size();
        mailboxes_.erase(oldest);
    }
}

}  // namespace mb::store
