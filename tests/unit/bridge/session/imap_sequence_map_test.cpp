// Tests for ImapSequenceMap: learning UIDs from FETCH, EXISTS growth, EXPUNGE shifting, VANISHED
// by UID (with unknown entries), UIDVALIDITY resets and the bound, and that an invalid map
// answers nothing until it is reset.
#include "bridge/session/imap_sequence_map.h"

#include <gtest/gtest.h>

#include <vector>

namespace mb::session {
namespace {

std::vector<std::uint32_t> uids(const ImapSequenceMap& map) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t seq = 1; seq <= map.size(); ++seq)
        out.push_back(map.uid_at(seq).value_or(0));
    return out;
}

TEST(ImapSequenceMap, RecordsUidsAndGrowsWithUnknownEntries) {
    ImapSequenceMap map(100);
    EXPECT_TRUE(map.record(3, 30));
    EXPECT_EQ(uids(map), (std::vector<std::uint32_t>{0, 0, 30}));
    EXPECT_TRUE(map.record(1, 10));
    EXPECT_TRUE(map.exists(5));
    EXPECT_EQ(uids(map), (std::vector<std::uint32_t>{10, 0, 30, 0, 0}));
    EXPECT_FALSE(map.uid_at(0));
    EXPECT_FALSE(map.uid_at(6));
    EXPECT_TRUE(map.record(0, 5));  // nothing to learn
    EXPECT_TRUE(map.record(2, 0));
    EXPECT_EQ(map.size(), 5u);
}

TEST(ImapSequenceMap, ExpungeShiftsLaterNumbers) {
    ImapSequenceMap map(100);
    for (std::uint32_t seq = 1; seq <= 4; ++seq) map.record(seq, seq * 10);
    EXPECT_EQ(map.expunge(2), 20u);
    EXPECT_EQ(uids(map), (std::vector<std::uint32_t>{10, 30, 40}));
    map.exists(4);
    EXPECT_EQ(map.expunge(4), 0u);  // went unknown
    EXPECT_FALSE(map.expunge(4));   // beyond the map: cannot follow
    EXPECT_FALSE(map.expunge(0));
    EXPECT_EQ(uids(map), (std::vector<std::uint32_t>{10, 30, 40}));
}

TEST(ImapSequenceMap, VanishedRemovesByUid) {
    ImapSequenceMap map(100);
    for (std::uint32_t seq = 1; seq <= 5; ++seq) map.record(seq, seq * 10);
    EXPECT_TRUE(map.vanish({{40, 50}, {10, 10}, {99, 99}}));  // 99 unknown, but no entry is
    EXPECT_EQ(uids(map), (std::vector<std::uint32_t>{20, 30}));
    map.exists(3);  // one unknown entry
    EXPECT_TRUE(map.vanish({{20, 20}}));
    EXPECT_EQ(uids(map), (std::vector<std::uint32_t>{30, 0}));
    // 77 is not known while an entry is unknown: it may have been that one.
    EXPECT_FALSE(map.vanish({{77, 77}}));
}

TEST(ImapSequenceMap, BoundAndInvalidation) {
    ImapSequenceMap map(3);
    EXPECT_TRUE(map.exists(3));
    EXPECT_FALSE(map.exists(4));
    EXPECT_FALSE(map.record(4, 40));
    EXPECT_FALSE(map.exists(2));  // fewer messages without an expunge: lost track
    map.record(1, 10);
    map.invalidate();
    EXPECT_FALSE(map.valid());
    EXPECT_EQ(map.size(), 0u);
    EXPECT_TRUE(map.record(1, 10));  // ignored
    EXPECT_TRUE(map.exists(2));      // ignored
    EXPECT_FALSE(map.uid_at(1));
    EXPECT_FALSE(map.expunge(1));
    map.reset();
    EXPECT_TRUE(map.valid());
    EXPECT_TRUE(map.record(1, 10));
    EXPECT_EQ(map.uid_at(1), 10u);
}

TEST(ImapSequenceMap, ForgettingUidsKeepsTheCount) {
    ImapSequenceMap map(100);
    map.record(2, 20);
    map.forget_uids();
    EXPECT_EQ(uids(map), (std::vector<std::uint32_t>{0, 0}));
    map.release();
    EXPECT_EQ(map.size(), 0u);
    EXPECT_TRUE(map.valid());
}

}  // namespace
}  // namespace mb::session
