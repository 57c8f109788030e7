// RelayOutput (views of the filtered chunk kept uncopied, other bytes copied, adjacent pieces
// merged, discard) and the held-bytes accounting the relay filters report to the Relay.
#include "bridge/session/relay_output.h"

#include <gtest/gtest.h>

#include <string>

#include "bridge/session/imap_response_filter.h"
#include "bridge/session/pop3_relay_filters.h"

namespace mb::session {
namespace {

TEST(RelayOutput, ViewsOfTheInputAreKeptAndAdjacentOnesMerged) {
    const std::string input = "* 1 FETCH (BODY[] {5}\r\nhello)\r\n";
    RelayOutput out;
    out.reset(input);
    std::string_view all = input;
    out.append(all.substr(0, 10));
    out.append(all.substr(10, 13));  // adjacent: one piece
    out.append("rewritten");         // not in the input: copied
    out.append(all.substr(23));
    auto pieces = out.pieces();
    ASSERT_EQ(pieces.size(), 3u);
    EXPECT_EQ(pieces[0].data(), input.data());
    EXPECT_EQ(pieces[0].size(), 23u);
    EXPECT_EQ(pieces[1], "rewritten");
    EXPECT_NE(pieces[1].data(), input.data() + 23);
    EXPECT_EQ(pieces[2].data(), input.data() + 23);
    EXPECT_EQ(out.size(), input.size() + 9);
    EXPECT_EQ(out.str(), input.substr(0, 23) + "rewritten" + input.substr(23));
}

TEST(RelayOutput, CopiesMergeAndSurviveGrowth) {
    RelayOutput out;
    out.reset("abc");
    std::string text(100, 'x');
    for (int i = 0; i < 50; ++i) out.append(text);  // the copy buffer reallocates on the way
    auto pieces = out.pieces();
    ASSERT_EQ(pieces.size(), 1u);
    EXPECT_EQ(pieces[0], std::string(5000, 'x'));
}

TEST(RelayOutput, ResetAndDiscardStartOver) {
    RelayOutput out;
    out.reset("first");
    out.append("copied");
    out.set_held(7);
    out.discard();
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(out.pieces().empty());
    out.reset("second");
    EXPECT_EQ(out.held(), 0u);
    std::string collected = "kept ";
    RelayOutput collect(collected);
    collect.append("more");
    EXPECT_EQ(collected, "kept more");
    collect.discard();
    EXPECT_EQ(collected, "kept ");
}

TEST(ImapResponseFilterHeld, PartialLinesAreHeldAndReported) {
    ImapResponseFilter filter({});
    RelayOutput out;
    const std::string first = "* 1 FETCH (FLAGS (\\Seen))\r\n* 2 FE";
    out.reset(first);
    filter(first, out);
    EXPECT_EQ(out.str(), "* 1 FETCH (FLAGS (\\Seen))\r\n");
    EXPECT_EQ(out.held(), 6u);  // "* 2 FE"
    EXPECT_EQ(out.pieces().size(), 1u);
    EXPECT_EQ(out.pieces()[0].data(), first.data()) << "a complete line is not copied";

    const std::string second = "TCH (BODY[] {10}\r\n01234";
    out.reset(second);
    filter(second, out);
    EXPECT_EQ(out.str(), "* 2 FETCH (BODY[] {10}\r\n01234");
    EXPECT_EQ(out.held(), 0u);
    EXPECT_EQ(filter.held_bytes(), 0u);
    auto pieces = out.pieces();
    ASSERT_EQ(pieces.size(), 2u);  // the held line (copied), then the literal (a view)
    EXPECT_EQ(pieces[1].data(), second.data() + second.size() - 5);

    const std::string third = "56789)\r\na1 OK do";
    out.reset(third);
    filter(third, out);
    EXPECT_EQ(out.str(), "56789)\r\n");
    EXPECT_EQ(out.held(), 8u);  // "a1 OK do"
}

TEST(Pop3RelayFiltersHeld, CapaAnswerIsHeldUntilItEnds) {
    Pop3RelayFilters filters;
    std::string to_upstream;
    filters.from_client("CAPA\r\n", to_upstream);
    RelayOutput out;
    const std::string first = "+OK\r\nTOP\r\nSTLS\r\n";
    out.reset(first);
    filters.from_upstream(first, out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(out.held(), first.size());
    const std::string second = ".\r\n";
    out.reset(second);
    filters.from_upstream(second, out);
    EXPECT_EQ(out.held(), 0u);
    const std::string answer = out.str();
    EXPECT_EQ(answer.find("STLS"), std::string::npos) << answer;
    EXPECT_NE(answer.find("TOP\r\n"), std::string::npos) << answer;
    EXPECT_EQ(answer.substr(answer.size() - 3), ".\r\n") << answer;
}

}  // namespace
}  // namespace mb::session
