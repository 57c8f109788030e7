// ImapCacheObserver: watches both directions of one IMAP relay and turns what it sees into metadata
// cache updates (selected mailbox and its UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ, FETCH metadata,
// expunges, renames and deletes of mailboxes). It only reads: bytes pass unchanged and undelayed.
// Owned by one session (shared by the two relay filters); updates go to `submit` (the daemon's
// CacheWriter::try_submit, which never blocks). What it cannot follow it marks stale, never
// guesses. A one-line FETCH response identical to the last one for its message, while nothing
// was queued to the cache since (the writer's generation), is passed over unparsed: clients poll
// the same FLAGS over and over, and the cache already holds them.
// Its parts: ImapCommandTracker (client commands awaiting a reply), ImapSequenceMap (sequence
// number → UID), ImapLineMemo (the one-line responses to pass over); the observer itself keeps
// the selection and turns responses into updates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/session/imap_command_tracker.h"
#include "bridge/session/imap_line_memo.h"
#include "bridge/session/imap_sequence_map.h"
#include "protocol/imap/fetch_response.h"
#include "protocol/imap/stream_framer.h"
#include "store/cache_update.h"

namespace mb::session {

class ImapCacheObserver {
  public:
    // Hands an update on; false when it was dropped (the receiver then marks the mailbox stale).
    using Submit = std::function<bool(store::CacheUpdate)>;
    // A number that changes whenever what the cache will hold may have changed (an update queued,
    // dropped or lost: CacheWriter::generation). Without it every response is parsed.
    using Generation = std::function<std::uint64_t()>;

    struct Options {
        std::size_t max_messages = 10'000'000;  // sequence↔UID map entries; past it: stale
        std::size_t max_outstanding = 1024;     // client commands awaiting their tagged reply
        std::size_t max_command = 64 * 1024;    // bytes of a SELECT/EXAMINE/RENAME/DELETE kept
        std::size_t max_remembered_lines = 1'000'000;  // 8 bytes each; messages past it: parsed
    };

    ImapCacheObserver(store::Owner owner, Submit submit, Options options,
                      Generation generation = {});
    ImapCacheObserver(store::Owner owner, Submit submit)
        : ImapCacheObserver(std::move(owner), std::move(submit), Options{}) {}

    // The client stream as the relay's ImapCommandFilter frames it (ImapCommandFilter::observe),
    // and the upstream stream as its ImapResponseFilter frames it (ImapResponseFilter::observe),
    // in order: each direction is framed once for every observer.
    void client_event(const protocol::imap::StreamEvent& event);
    void upstream_event(const protocol::imap::StreamEvent& event);

    // For tests and logs.
    const std::optional<std::string>& selected_mailbox() const { return selected_name_; }
    std::optional<std::uint32_t> uid_at(std::uint32_t sequence) const;
    std::size_t known_sequence_count() const { return map_.size(); }
    bool stopped() const { return stopped_; }
    // One-line FETCH responses passed over because the cache already held them.
    std::uint64_t lines_passed_over() const { return passed_over_; }

  private:
    using Command = ImapCommandTracker::Command;
    using Kind = ImapCommandTracker::Kind;
    // The mailbox untagged responses now belong to (being selected, or selected).
    struct Selection {
        std::string mailbox;
        bool read_only = false;
        std::optional<std::uint32_t> uidvalidity;
        std::optional<std::uint32_t> uidnext;
        std::optional<std::uint64_t> highestmodseq;
        bool state_sent = false;
        bool stale_sent = false;
        bool maybe_deleted = false;  // a CLOSE could expunge messages without telling
    };

    void on_unit(protocol::imap::ResponseUnit unit);
    void on_status(const protocol::imap::StatusResponse& status);
    void on_tagged(const protocol::imap::StatusResponse& status);
    void on_fetch(protocol::imap::FetchData& fetch);
    void on_exists(std::uint32_t count);
    void on_expunge(std::uint32_t sequence);
    void on_vanished(const protocol::imap::Vanished& vanished);
    void begin_selection_if_due();
    bool send_state();
    void mark_stale(const std::string& mailbox);
    void invalidate_map();
    std::optional<std::uint64_t> line_fingerprint(std::uint32_t sequence,
                                                  std::uint64_t line_hash) const;
    void clear_selection();
    void stop(std::string_view reason);
    void submit(store::CacheUpdate update);

    store::Owner owner_;
    Submit submit_;
    Generation generation_;
    ImapCommandTracker commands_;
    protocol::imap::ResponseUnitParser parser_;
    std::optional<Selection> selection_;  // responses now belong to this mailbox
    std::optional<std::string> selected_name_;
    ImapSequenceMap map_;  // of the selection; cleared whenever it changes
    // Forgotten whenever sequence numbers move or the selection changes.
    ImapLineMemo lines_;
    std::optional<ImapLineMemo::FetchLine> pending_line_;  // the one-line response being parsed
    std::uint64_t passed_over_ = 0;
    bool stopped_ = false;
};

}  // namespace mb::session
