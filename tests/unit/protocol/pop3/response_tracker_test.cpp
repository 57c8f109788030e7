// Tests for the POP3 ResponseTracker: single- and multi-line responses chosen by the command,
// -ERR on a multi-line command, dot-stuffed lines, bare LF line ends, unsolicited responses, the
// queue limit, pipelined streams; every input fed whole, one byte at a time and split at every
// boundary, checking that the events reproduce the stream byte for byte.
#include "protocol/pop3/response_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/pop3/limits.h"

namespace mb::protocol::pop3 {
namespace {

// Feeds `pieces` after recording `commands`; returns each response as "COMMAND[*]:bytes"
// (* for multi-line), plus "partial:bytes" for an unfinished one.
std::vector<std::string> track(const std::vector<std::string>& commands,
                               const std::vector<std::string>& pieces) {
    ResponseTracker tracker;
    for (const std::string& command : commands) EXPECT_TRUE(tracker.command_sent(command));
    std::vector<std::string> out;
    std::string current;
    std::string label;
    std::string all_input;
    std::string all_events;
    for (const std::string& piece : pieces) {
        all_input += piece;
        tracker.feed(piece, [&](const ResponseEvent& event) {
            EXPECT_FALSE(event.bytes.empty());
            all_events.append(event.bytes);
            if (event.starts_unit) {
                EXPECT_TRUE(current.empty());
                label = std::string(event.command) + (event.multi_line ? "*" : "");
            }
            EXPECT_EQ(label, std::string(event.command) + (event.multi_line ? "*" : ""));
            current.append(event.bytes);
            if (event.ends_unit) {
                out.push_back(label + ":" + current);
                current.clear();
            }
        });
    }
    EXPECT_EQ(all_events, all_input);
    EXPECT_EQ(tracker.at_unit_start(), current.empty());
    if (!current.empty()) out.push_back("partial:" + current);
    return out;
}

void expect_all_splits(const std::vector<std::string>& commands, const std::string& input,
                       const std::vector<std::string>& expected) {
    EXPECT_EQ(track(commands, {input}), expected) << "whole";
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    EXPECT_EQ(track(commands, bytes), expected) << "byte by byte";
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        EXPECT_EQ(track(commands, {input.substr(0, cut), input.substr(cut)}), expected)
            << "cut " << cut;
}

TEST(Pop3ResponseTracker, SingleLineResponses) {
    expect_all_splits({"STAT", "DELE 1", "NOOP"}, "+OK 2 320\r\n-ERR no such message\r\n+OK\r\n",
                      {"STAT:+OK 2 320\r\n", "DELE:-ERR no such message\r\n", "NOOP:+OK\r\n"});
}

TEST(Pop3ResponseTracker, MultiLineResponsesByCommand) {
    expect_all_splits({"LIST", "LIST 1", "UIDL", "uidl 2", "CAPA"},
                      "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n+OK 1 120\r\n+OK\r\n1 abc\r\n.\r\n"
                      "+OK 2 def\r\n+OK Capability list follows\r\nTOP\r\nUIDL\r\n.\r\n",
                      {"LIST*:+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n", "LIST:+OK 1 120\r\n",
                       "UIDL*:+OK\r\n1 abc\r\n.\r\n", "UIDL:+OK 2 def\r\n",
                       "CAPA*:+OK Capability list follows\r\nTOP\r\nUIDL\r\n.\r\n"});
}

TEST(Pop3ResponseTracker, ErrOnMultiLineCommandIsOneLine) {
    expect_all_splits({"RETR 9", "TOP 1 0"},
                      "-ERR no such message\r\n+OK\r\nSubject: x\r\n\r\n.\r\n",
                      {"RETR:-ERR no such message\r\n", "TOP*:+OK\r\nSubject: x\r\n\r\n.\r\n"});
}

TEST(Pop3ResponseTracker, DotStuffedLinesPassUnchanged) {
    const std::string message =
        "+OK 60 octets\r\n..\r\n...\r\n..hidden\r\n. \r\n.x\r\nbody.\r\n\r\n.\r\n";
    expect_all_splits({"RETR 1", "QUIT"}, message + "+OK bye\r\n",
                      {"RETR*:" + message, "QUIT:+OK bye\r\n"});
}

TEST(Pop3ResponseTracker, BareLineFeedLineEnds) {
    expect_all_splits({"RETR 1", "NOOP"}, "+OK\nline\n.\n+OK\n",
                      {"RETR*:+OK\nline\n.\n", "NOOP:+OK\n"});
    expect_all_splits({"RETR 1"}, "+OK\r\na\r\n.\r\r\n.\r\n", {"RETR*:+OK\r\na\r\n.\r\r\n.\r\n"});
}

TEST(Pop3ResponseTracker, UnsolicitedAndUnfinished) {
    expect_all_splits({}, "-ERR [SYS/TEMP] shutting down\r\n",
                      {":-ERR [SYS/TEMP] shutting down\r\n"});
    expect_all_splits({"RETR 1"}, "+OK\r\nhalf a me", {"partial:+OK\r\nhalf a me"});
}

TEST(Pop3ResponseTracker, BareAuthListsMechanisms) {
    expect_all_splits({"AUTH", "AUTH PLAIN"}, "+OK\r\nPLAIN\r\n.\r\n-ERR [AUTH] no\r\n",
                      {"AUTH*:+OK\r\nPLAIN\r\n.\r\n", "AUTH:-ERR [AUTH] no\r\n"});
}

TEST(Pop3ResponseTracker, LongLinesAndEightBit) {
    const std::string body(100000, '\x80');
    ResponseTracker tracker;
    ASSERT_TRUE(tracker.command_sent("RETR 1"));
    std::string input = "+OK\r\n" + body + "\r\n.\r\n";
    std::size_t ends = 0;
    std::string seen;
    for (std::size_t at = 0; at < input.size(); at += 4096)
        tracker.feed(std::string_view(input).substr(at, 4096), [&](const ResponseEvent& event) {
            seen.append(event.bytes);
            ends += event.ends_unit;
        });
    EXPECT_EQ(seen, input);
    EXPECT_EQ(ends, 1u);
}

TEST(Pop3ResponseTracker, QueueLimit) {
    ResponseTracker tracker;
    for (std::size_t i = 0; i < limits::kMaxPendingCommands; ++i)
        ASSERT_TRUE(tracker.command_sent("NOOP"));
    EXPECT_FALSE(tracker.can_send_command());
    EXPECT_FALSE(tracker.command_sent("NOOP"));
    tracker.feed("+OK\r\n", [](const ResponseEvent&) {});
    EXPECT_TRUE(tracker.command_sent("NOOP"));
}

TEST(Pop3ResponseTracker, PipelinedThousandRetrievals) {
    ResponseTracker tracker;
    std::string input;
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(tracker.command_sent(i % 2 ? "RETR " + std::to_string(i) : "DELE 1"));
        input += i % 2 ? "+OK\r\nSubject: " + std::to_string(i) + "\r\n\r\n..\r\n.\r\n"
                       : std::string("+OK deleted\r\n");
    }
    std::size_t multi = 0;
    std::size_t ends = 0;
    tracker.feed(input, [&](const ResponseEvent& event) {
        ends += event.ends_unit;
        multi += event.ends_unit && event.multi_line;
    });
    EXPECT_EQ(ends, 1000u);
    EXPECT_EQ(multi, 500u);
    EXPECT_EQ(tracker.pending(), 0u);
}

}  // namespace
}  // namespace mb::protocol::pop3
