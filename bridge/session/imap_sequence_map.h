// ImapSequenceMap: the sequence number → UID map of the selected mailbox, as the cache observer
// learns it from FETCH, EXISTS, EXPUNGE and VANISHED responses. Bounded by max_messages. It never
// guesses: what it cannot follow it reports (a false or nullopt result), and its owner then
// invalidates it and marks the mailbox stale. Pure; owned by one ImapCacheObserver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/imap/fetch_response.h"

namespace mb::session {

class ImapSequenceMap {
  public:
    explicit ImapSequenceMap(std::size_t max_messages) : max_messages_(max_messages) {}

    // The map can be trusted (it was not invalidated since the last reset).
    bool valid() const { return valid_; }
    // Sequence numbers the map knows of (UIDs may still be unknown).
    std::size_t size() const { return uids_.size(); }
    // The UID at `sequence`; nullopt when unknown, out of range, or the map is not valid.
    std::optional<std::uint32_t> uid_at(std::uint32_t sequence) const;

    // A new selection (or none): empty and trusted; `release` also frees the memory.
    void reset() {
        uids_.clear();
        valid_ = true;
    }
    void release();
    // UIDVALIDITY changed: every UID is unknown, the message count stays.
    void forget_uids();
    // No longer trusted until the next reset.
    void invalidate();

    // The results below are false (nullopt) when the map cannot follow the change, for the owner
    // to invalidate it. On a map that is not valid they change nothing.

    // A FETCH response told the UID at `sequence` (both non-zero).
    bool record(std::uint32_t sequence, std::uint32_t uid);
    // "* n EXISTS".
    bool exists(std::uint32_t count);
    // "* n EXPUNGE": the UID that went (0 when it was unknown); later numbers move down.
    // nullopt on a map that is not valid, too.
    std::optional<std::uint32_t> expunge(std::uint32_t sequence);
    // "* VANISHED uids" (not EARLIER): the known UIDs among them go, later numbers move down.
    // False when some of them were not in the map while it holds unknown entries: which ones went
    // is then unknown.
    bool vanish(const std::vector<protocol::imap::UidRange>& uids);

  private:
    std::size_t max_messages_;
    std::vector<std::uint32_t> uids_;  // index = sequence - 1; 0 = unknown
    bool valid_ = true;
};

}  // namespace mb::session
