// Tests for ImapLineMemo: which lines are one-line FETCH responses, fingerprints that change with
// every fact the cache update depends on, and the memo's bound.
#include "bridge/session/imap_line_memo.h"

#include <gtest/gtest.h>

#include <string>

namespace mb::session {
namespace {

TEST(ImapLineMemo, IdentifiesFetchLines) {
    auto line = ImapLineMemo::identify("* 12 FETCH (FLAGS (\\Seen))\r\n");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->sequence, 12u);
    EXPECT_EQ(line->hash, ImapLineMemo::identify("* 12 FETCH (FLAGS (\\Seen))\r\n")->hash);
    EXPECT_NE(line->hash, ImapLineMemo::identify("* 12 FETCH (FLAGS (\\Draft))\r\n")->hash);
    EXPECT_EQ(ImapLineMemo::identify("* 4294967295 FETCH (UID 1)\r\n")->sequence, 4294967295u);
    for (std::string_view other :
         {"* 12 EXISTS\r\n", "* 0 FETCH (UID 1)\r\n", "* 4294967296 FETCH (UID 1)\r\n",
          "a1 OK FETCH done\r\n", "* FETCH (UID 1)\r\n", "* 12 fetch (UID 1)\r\n",
          "* 99999999999 FETCH (UID 1)\r\n", "* 1 FETCH"})
        EXPECT_FALSE(ImapLineMemo::identify(other)) << other;
}

TEST(ImapLineMemo, FingerprintsDependOnEveryFact) {
    const std::uint64_t base = ImapLineMemo::fingerprint(1, 2, 3, 4);
    EXPECT_EQ(base, ImapLineMemo::fingerprint(1, 2, 3, 4));
    EXPECT_NE(base, ImapLineMemo::fingerprint(9, 2, 3, 4));
    EXPECT_NE(base, ImapLineMemo::fingerprint(1, 9, 3, 4));
    EXPECT_NE(base, ImapLineMemo::fingerprint(1, 2, 9, 4));
    EXPECT_NE(base, ImapLineMemo::fingerprint(1, 2, 3, 9));
    EXPECT_NE(base, 0u);
}

TEST(ImapLineMemo, RemembersWithinItsBound) {
    ImapLineMemo memo(4);
    EXPECT_EQ(memo.remembered(1), 0u);
    memo.remember(2, 77, 3);
    EXPECT_EQ(memo.remembered(2), 77u);
    EXPECT_EQ(memo.remembered(1), 0u);
    EXPECT_EQ(memo.remembered(0), 0u);
    memo.remember(5, 88, 5);  // past the bound: not kept
    EXPECT_EQ(memo.remembered(5), 0u);
    memo.remember(0, 99, 5);
    EXPECT_EQ(memo.remembered(0), 0u);
    memo.forget();
    EXPECT_EQ(memo.remembered(2), 0u);
}

}  // namespace
}  // namespace mb::session
