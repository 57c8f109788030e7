// Tests for ImapCommandFilter: bytes pass unchanged; every observer sees the same events, framed
// once; whether the client stopped between two commands (complete and partial lines,
// synchronizing and non-synchronizing literals, {0}, APPEND bodies, huge sizes), for every split
// of the input; and a synchronizing literal the server refused is abandoned.
#include "bridge/session/imap_command_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mb::session {
namespace {
namespace imap = protocol::imap;

std::string describe(const imap::StreamEvent& event) {
    switch (event.kind) {
        case imap::StreamEvent::Kind::LineSegment:
            return "seg:" + std::string(event.bytes);
        case imap::StreamEvent::Kind::LiteralBody:
            return "lit:" + std::string(event.bytes);
        case imap::StreamEvent::Kind::Error:
            return "error:" + event.error;
        case imap::StreamEvent::Kind::NeedMore:
            break;
    }
    return "?";
}

bool boundary_after(std::string_view bytes) {
    ImapCommandFilter whole;
    whole.feed(bytes);
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
        ImapCommandFilter split;
        std::string out;
        split(bytes.substr(0, cut), out);
        split(bytes.substr(cut), out);
        EXPECT_EQ(out, bytes);
        EXPECT_EQ(split.at_command_boundary(), whole.at_command_boundary()) << "split at " << cut;
    }
    ImapCommandFilter bytewise;
    for (char c : bytes) bytewise.feed(std::string_view(&c, 1));
    EXPECT_EQ(bytewise.at_command_boundary(), whole.at_command_boundary());
    return whole.at_command_boundary();
}

TEST(ImapCommandFilter, EveryObserverSeesTheSameEventsInOrder) {
    ImapCommandFilter filter;
    std::vector<std::string> first;
    std::vector<std::string> second;
    filter.observe([&](const imap::StreamEvent& event) { first.push_back(describe(event)); });
    filter.observe([&](const imap::StreamEvent& event) { second.push_back(describe(event)); });
    std::string out;
    filter("a1 APPEND INBOX {3+}\r\nabc\r\na2 NO", out);
    filter("OP\r\n", out);
    EXPECT_EQ(out, "a1 APPEND INBOX {3+}\r\nabc\r\na2 NOOP\r\n");
    const std::vector<std::string> expected{"seg:a1 APPEND INBOX {3+}\r\n", "lit:abc", "seg:\r\n",
                                            "seg:a2 NOOP\r\n"};
    EXPECT_EQ(first, expected);
    EXPECT_EQ(second, expected);
}

TEST(ImapCommandFilter, CompleteAndPartialLines) {
    EXPECT_TRUE(boundary_after(""));
    EXPECT_TRUE(boundary_after("a1 NOOP\r\n"));
    EXPECT_TRUE(boundary_after("a1 NOOP\r\na2 SELECT INBOX\r\n"));
    EXPECT_FALSE(boundary_after("a1 NOO"));
    EXPECT_FALSE(boundary_after("a1 NOOP\r"));
    EXPECT_TRUE(boundary_after("a1 NOOP\n"));  // bare LF ends a line for the server too
    EXPECT_TRUE(boundary_after("DONE\r\n"));
}

TEST(ImapCommandFilter, LiteralsAreSkippedByCount) {
    EXPECT_FALSE(boundary_after("a APPEND INBOX {10}\r\n"));
    EXPECT_FALSE(boundary_after("a APPEND INBOX {10}\r\n0123\r\n"));
    EXPECT_FALSE(boundary_after("a APPEND INBOX {10}\r\n0123456789"));  // the line goes on
    EXPECT_TRUE(boundary_after("a APPEND INBOX {10}\r\n0123456789\r\n"));
    EXPECT_TRUE(boundary_after("a APPEND INBOX (\\Seen) {4+}\r\n\r\n\r\n\r\n"));
    // Literal bytes that look like a marker are data: the line goes on after them.
    EXPECT_FALSE(boundary_after("a APPEND INBOX {5+}\r\n{9}\r\n"));
    EXPECT_TRUE(boundary_after("a APPEND INBOX {5+}\r\n{9}\r\n\r\n"));
    EXPECT_TRUE(boundary_after("a LOGIN {5}\r\nalice {3}\r\npwd\r\n"));
    EXPECT_FALSE(boundary_after("a LOGIN {0}\r\n"));
    EXPECT_TRUE(boundary_after("a LOGIN {0}\r\n {0}\r\n\r\n"));
    EXPECT_TRUE(boundary_after("a SEARCH TEXT {x}\r\n"));  // not a literal marker
    EXPECT_TRUE(boundary_after("a SEARCH TEXT }\r\n"));
    EXPECT_TRUE(boundary_after("a FETCH 1 BODY[]<0.5>\r\n"));
    EXPECT_FALSE(boundary_after("a APPEND INBOX ~{3}\r\nab"));
}

TEST(ImapCommandFilter, LongLinesAndHugeLiteralsStayBounded) {
    std::string line = "a SEARCH TEXT \"" + std::string(100000, 'x') + "\"";
    EXPECT_FALSE(boundary_after(line));
    EXPECT_TRUE(boundary_after(line + "\r\n"));
    // A synchronizing literal over the relay limit (or over 64 bits) will be refused: the
    // client's next bytes start a new command.
    ImapCommandFilter huge;
    huge.feed("a APPEND INBOX {99999999999999999999}\r\n");
    EXPECT_TRUE(huge.at_command_boundary());
    ImapCommandFilter big;
    big.feed("a APPEND INBOX {9999999999999999999}\r\n");
    EXPECT_TRUE(big.at_command_boundary());
    big.feed(std::string(1 << 20, 'y'));
    EXPECT_FALSE(big.at_command_boundary());
    // A line the framer cannot hold: never a boundary again, and observers hear it once.
    ImapCommandFilter overlong;
    std::vector<std::string> events;
    overlong.observe([&](const imap::StreamEvent& event) { events.push_back(describe(event)); });
    overlong.feed(std::string(2 << 20, 'z'));
    overlong.feed("\r\na NOOP\r\n");
    EXPECT_FALSE(overlong.at_command_boundary());
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].rfind("error:line longer than", 0), 0u) << events[0];
}

imap::StreamEvent upstream_line(std::string_view line) {
    imap::StreamEvent event;
    event.kind = imap::StreamEvent::Kind::LineSegment;
    event.bytes = line;
    event.starts_unit = true;
    event.ends_unit = true;
    return event;
}

TEST(ImapCommandFilter, RefusedSynchronizingLiteralIsAbandoned) {
    ImapCommandFilter filter;
    std::vector<std::string> events;
    filter.observe([&](const imap::StreamEvent& event) { events.push_back(describe(event)); });
    filter.feed("q1 SELECT {999}\r\n");
    EXPECT_FALSE(filter.at_command_boundary());
    filter.upstream_event(upstream_line("* OK still waiting\r\n"));
    filter.upstream_event(upstream_line("q10 BAD other tag\r\n"));
    EXPECT_FALSE(filter.at_command_boundary());
    filter.upstream_event(upstream_line("q1 BAD too big\r\n"));
    EXPECT_TRUE(filter.at_command_boundary());
    filter.feed("q2 NOOP\r\n");
    EXPECT_EQ(events, (std::vector<std::string>{"seg:q1 SELECT {999}\r\n", "seg:q2 NOOP\r\n"}));
    // Once a byte of the literal came, the server accepted it: a later reply abandons nothing.
    filter.feed("q3 APPEND x {3}\r\na");
    filter.upstream_event(upstream_line("q3 NO late\r\n"));
    EXPECT_FALSE(filter.at_command_boundary());
    // A continuation or a non-synchronizing literal is never abandoned.
    ImapCommandFilter non_sync;
    non_sync.feed("n1 APPEND x {3+}\r\n");
    non_sync.upstream_event(upstream_line("n1 NO no\r\n"));
    EXPECT_FALSE(non_sync.at_command_boundary());
}

}  // namespace
}  // namespace mb::session
