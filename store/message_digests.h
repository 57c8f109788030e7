// MessageDigests: what the cache will hold once the writer's queue drains, per recently seen
// message, as one 64-bit digest per field — so CacheWriter::try_submit can leave out an upsert that
// would change nothing (clients re-fetch the same FLAGS and ENVELOPEs all the time). Mirrors the
// store's rules exactly; whenever it cannot, it forgets, and a forgotten message is simply written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "store/cache_update.h"

namespace mb::store {

class MessageDigests {
  public:
    // At most this many messages are remembered (about 70 bytes each); past it the least recently
    // used mailboxes are forgotten, and a mailbox larger than the bound remembers its first ones.
    explicit MessageDigests(std::size_t max_messages = 200'000) : max_messages_(max_messages) {}

    // True when the upsert's UIDVALIDITY is the one its mailbox will have and every field it
    // carries equals what was last recorded for its message.
    bool unchanged(const update::UpsertMessage& upsert);
    // Follows an update the writer queued (in queue order).
    void record(const CacheUpdate& update);
    // Forgets one mailbox (an update for it was dropped) or everything (a write failed).
    void forget(const Owner& owner, std::string_view mailbox);
    void clear();

    std::size_t messages() const { return total_; }

  private:
    struct Digest {
        std::uint64_t flags = 0;
        std::uint64_t size = 0;
        std::uint64_t internal_date = 0;
        std::uint64_t modseq = 0;
        std::uint64_t envelope = 0;
        std::uint8_t present = 0;  // which of the above are known (Field bits)
    };
    struct Mailbox {
        // The UIDVALIDITY the store will have for this mailbox; messages are only remembered
        // while it is known exactly (learned from a MailboxState update).
        std::optional<std::uint32_t> uidvalidity;
        std::unordered_map<std::uint32_t, Digest> messages;
        std::uint64_t used = 0;  // recency, for eviction
    };
    using Key = std::tuple<std::string, std::string, std::string>;  // account, login, mailbox
    using KeyView = std::tuple<std::string_view, std::string_view, std::string_view>;
    // Orders keys and their views alike, so lookups need not build strings.
    struct KeyOrder {
        using is_transparent = void;
        static KeyView view(const Key& key) {
            return {std::get<0>(key), std::get<1>(key), std::get<2>(key)};
        }
        static const KeyView& view(const KeyView& key) { return key; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return view(a) < view(b);
        }
    };

    static KeyView key(const Owner& owner, std::string_view mailbox);
    Mailbox* find(const Owner& owner, std::string_view mailbox);
    Mailbox& find_or_add(const Owner& owner, std::string_view mailbox);
    void record_upsert(const update::UpsertMessage& upsert);
    void remove_messages(const update::DeleteMessages& deleted);
    void forget_owner(const Owner& owner);
    void drop_messages(Mailbox& mailbox);
    void evict_for(const Mailbox& keep);

    std::size_t max_messages_;
    std::size_t total_ = 0;
    std::uint64_t clock_ = 0;
    std::map<Key, Mailbox, KeyOrder> mailboxes_;
};

}  // namespace mb::store
