// ImapSequenceMap implementation: one vector indexed by sequence number; expunges erase from it,
// VANISHED removes by UID with a binary search over the sorted ranges.
#include "bridge/session/imap_sequence_map.h"

#include <algorithm>
#include <iterator>

namespace mb::session {
namespace imap = protocol::imap;

std::optional<std::uint32_t> ImapSequenceMap::uid_at(std::uint32_t sequence) const {
    if (!valid_ || sequence == 0 || sequence > uids_.size()) return std::nullopt;
    const std::uint32_t uid = uids_[sequence - 1];
    if (uid == 0) return std::nullopt;
    return uid;
}

void ImapSequenceMap::release() {
    reset();
    uids_.shrink_to_fit();
}

void ImapSequenceMap::forget_uids() {
    std::fill(uids_.begin(), uids_.end(), 0);
}

void ImapSequenceMap::invalidate() {
    valid_ = false;
    uids_.clear();
    uids_.shrink_to_fit();
}

bool ImapSequenceMap::record(std::uint32_t sequence, std::uint32_t uid) {
    if (!valid_ || sequence == 0 || uid == 0) return true;
    if (sequence > uids_.size()) {
        if (sequence > max_messages_) return false;
        uids_.resize(sequence, 0);
    }
    uids_[sequence - 1] = uid;
    return true;
}

bool ImapSequenceMap::exists(std::uint32_t count) {
    if (!valid_) return true;
    if (count > max_messages_ || count < uids_.size()) return false;
    uids_.resize(count, 0);
    return true;
}

std::optional<std::uint32_t> ImapSequenceMap::expunge(std::uint32_t sequence) {
    if (!valid_ || sequence == 0 || sequence > uids_.size()) return std::nullopt;
    const std::uint32_t uid = uids_[sequence - 1];
    uids_.erase(uids_.begin() + (sequence - 1));
    return uid;
}

bool ImapSequenceMap::vanish(const std::vector<imap::UidRange>& uids) {
    if (!valid_) return true;
    std::vector<imap::UidRange> ranges = uids;
    std::sort(ranges.begin(), ranges.end(),
              [](const imap::UidRange& a, const imap::UidRange& b) { return a.first < b.first; });
    std::uint64_t announced = 0;
    for (const auto& range : ranges) announced += std::uint64_t{range.last} - range.first + 1;
    auto vanishes = [&ranges](std::uint32_t uid) {
        auto after = std::upper_bound(
            ranges.begin(), ranges.end(), uid,
            [](std::uint32_t value, const imap::UidRange& r) { return value < r.first; });
        return after != ranges.begin() && uid <= std::prev(after)->last;
    };
    const std::size_t before = uids_.size();
    bool unknown = false;
    uids_.erase(std::remove_if(uids_.begin(), uids_.end(),
                               [&](std::uint32_t uid) {
                                   if (uid == 0) unknown = true;
                                   return uid != 0 && vanishes(uid);
                               }),
                uids_.end());
    return !(unknown && before - uids_.size() < announced);
}

}  // namespace mb::session
