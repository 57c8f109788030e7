// Tests for the relay's StreamFramer: literal forms, limits, hostile sizes, and every input fed
// whole, one byte at a time and split at every boundary, checking that the events reproduce the
// stream byte for byte.
#include "protocol/imap/stream_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mb::protocol::imap {
namespace {

using Kind = StreamEvent::Kind;
using Direction = StreamFramer::Direction;

StreamFramer::Options client_options(std::uint64_t max_literal = 1000) {
    return {Direction::ClientToServer, 200, max_literal};
}
StreamFramer::Options server_options(std::uint64_t max_literal = 1000) {
    return {Direction::ServerToClient, 200, max_literal};
}

std::string describe_literal(const std::optional<LiteralHeader>& literal) {
    if (!literal) return "";
    return std::string(literal->binary ? "~" : "") + "{" + std::to_string(literal->size) +
           (literal->non_sync ? "+" : "") + "}";
}

// Runs the framer over `pieces` and describes the events, joining consecutive literal chunks so
// that results do not depend on how the input was cut. Also checks that the event bytes
// concatenate to the consumed input.
std::vector<std::string> frame(StreamFramer::Options options,
                               const std::vector<std::string>& pieces) {
    StreamFramer framer(options);
    std::vector<std::string> out;
    std::string consumed_stream;
    std::string event_stream;
    for (const std::string& piece : pieces) {
        std::string_view rest = piece;
        for (;;) {
            StreamEvent event = framer.next(rest);
            consumed_stream.append(rest.substr(0, event.consumed));
            rest.remove_prefix(event.consumed);
            if (event.kind == Kind::NeedMore) {
                EXPECT_TRUE(rest.empty());
                break;
            }
            if (event.kind == Kind::Error) {
                out.push_back(std::string(event.stream_usable ? "error(usable):" : "error:") +
                              event.error);
                if (!event.stream_usable) return out;
                event_stream.append(event.bytes);
                continue;
            }
            event_stream.append(event.bytes);
            if (event.kind == Kind::LiteralBody) {
                EXPECT_FALSE(event.bytes.empty());
                if (!out.empty() && out.back().rfind("body:", 0) == 0 && out.back().back() != '|')
                    out.back().append(event.bytes);
                else
                    out.push_back("body:" + std::string(event.bytes));
                if (event.literal_complete) out.back().push_back('|');
                continue;
            }
            out.push_back(std::string("seg") + (event.starts_unit ? "<" : "") +
                          (event.ends_unit ? ">" : "") + ":" + std::string(event.bytes) +
                          describe_literal(event.literal));
        }
    }
    EXPECT_EQ(event_stream, consumed_stream);
    return out;
}

std::vector<std::vector<std::string>> feed_patterns(const std::string& input) {
    std::vector<std::vector<std::string>> patterns{{input}};
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    patterns.push_back(bytes);
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        patterns.push_back({input.substr(0, cut), input.substr(cut)});
    for (std::size_t a = 1; a + 1 < input.size(); a += 3)
        for (std::size_t b = a + 1; b < input.size(); b += 5)
            patterns.push_back({input.substr(0, a), input.substr(a, b - a), input.substr(b)});
    return patterns;
}

void expect_events(StreamFramer::Options options, const std::string& input,
                   const std::vector<std::string>& expected) {
    for (const auto& pieces : feed_patterns(input))
        ASSERT_EQ(frame(options, pieces), expected)
            << "pieces: " << pieces.size() << " first: " << pieces.front().size();
}

TEST(ImapStreamFramer, CommandsWithoutLiteralsAreOneSegmentEach) {
    expect_events(client_options(), "a1 NOOP\r\na2 CAPABILITY\r\n",
                  {"seg<>:a1 NOOP\r\n", "seg<>:a2 CAPABILITY\r\n"});
}

TEST(ImapStreamFramer, SynchronizingLiteralsContinueTheSameCommand) {
    expect_events(client_options(), "a1 LOGIN {5}\r\nalice {6}\r\nsecret\r\na2 NOOP\r\n",
                  {"seg<:a1 LOGIN {5}\r\n{5}", "body:alice|", "seg: {6}\r\n{6}", "body:secret|",
                   "seg>:\r\n", "seg<>:a2 NOOP\r\n"});
}

TEST(ImapStreamFramer, NonSynchronizingAndBinaryLiterals) {
    const std::string input =
        std::string("a2 APPEND INBOX ~{3+}\r\n\0\1\n", 26) + " {2+}\r\nhi ~{1}\r\nx\r\n";
    expect_events(client_options(), input,
                  {"seg<:a2 APPEND INBOX ~{3+}\r\n~{3+}", std::string("body:\0\1\n|", 9),
                   "seg: {2+}\r\n{2+}", "body:hi|", "seg: ~{1}\r\n~{1}", "body:x|", "seg>:\r\n"});
}

TEST(ImapStreamFramer, ZeroLengthLiteralHasNoBodyEvent) {
    expect_events(client_options(), "a3 LOGIN {0}\r\n {0+}\r\n\r\n",
                  {"seg<:a3 LOGIN {0}\r\n{0}", "seg: {0+}\r\n{0+}", "seg>:\r\n"});
}

TEST(ImapStreamFramer, LiteralBodiesMayContainLineBreaksAndBraces) {
    const std::string body = "x {3}\r\n\r\n)\r\n";
    expect_events(
        server_options(),
        "* 1 FETCH (BODY[] {" + std::to_string(body.size()) + "}\r\n" + body + ")\r\na OK done\r\n",
        {"seg<:* 1 FETCH (BODY[] {12}\r\n{12}", "body:" + body + "|", "seg>:)\r\n",
         "seg<>:a OK done\r\n"});
}

TEST(ImapStreamFramer, BareLfEndsSegmentsToo) {
    expect_events(client_options(), "a {2}\nxy\nb NOOP\n",
                  {"seg<:a {2}\n{2}", "body:xy|", "seg>:\n", "seg<>:b NOOP\n"});
}

TEST(ImapStreamFramer, BracesThatAreNotLiteralsAreText) {
    expect_events(
        server_options(), "* OK {abc}\r\n* OK x}\r\n* OK {\r\n* OK 5}\r\n",
        {"seg<>:* OK {abc}\r\n", "seg<>:* OK x}\r\n", "seg<>:* OK {\r\n", "seg<>:* OK 5}\r\n"});
}

TEST(ImapStreamFramer, MalformedLiteralSizesAreErrors) {
    for (std::string size : {"{}", "{+}", "{1+2}", "{++}", "{12++}", "{+5}"}) {
        auto events = frame(server_options(), {"* 1 FETCH (BODY[] " + size + "\r\nabc"});
        ASSERT_EQ(events.size(), 1u) << size;
        EXPECT_EQ(events[0].rfind("error:malformed literal size", 0), 0u) << events[0];
    }
}

TEST(ImapStreamFramer, OversizedAndOverflowingLiteralSizesAreErrors) {
    for (std::string size : {"{1001}", "{18446744073709551616}", "{99999999999999999999999}",
                             "{000000000000000000001}"}) {
        auto events = frame(server_options(), {"* 1 FETCH (BODY[] " + size + "\r\n"});
        ASSERT_EQ(events.size(), 1u) << size;
        EXPECT_EQ(events[0].rfind("error:", 0), 0u) << events[0];
    }
    auto events = frame(server_options(UINT64_MAX), {"* X {18446744073709551615}\r\n"});
    EXPECT_EQ(events.front(), "seg<:* X {18446744073709551615}\r\n{18446744073709551615}");
}

TEST(ImapStreamFramer, RefusedSyncLiteralFromClientLeavesTheStreamUsable) {
    expect_events(
        client_options(10), "a1 LOGIN {11}\r\na2 NOOP\r\n",
        {"error(usable):literal of 11 bytes exceeds the limit of 10 bytes", "seg<>:a2 NOOP\r\n"});
    StreamFramer framer(client_options(10));
    StreamEvent event = framer.next("a1 LOGIN {11}\r\n");
    ASSERT_EQ(event.kind, Kind::Error);
    EXPECT_TRUE(event.stream_usable);
    EXPECT_EQ(event.bytes, "a1 LOGIN {11}\r\n");
    EXPECT_TRUE(framer.at_unit_start());
}

TEST(ImapStreamFramer, OversizedNonSyncLiteralIsFatalAndSticky) {
    StreamFramer framer(client_options(10));
    StreamEvent event = framer.next("a1 LOGIN {11+}\r\nhello world\r\n");
    ASSERT_EQ(event.kind, Kind::Error);
    EXPECT_FALSE(event.stream_usable);
    EXPECT_EQ(event.consumed, 16u);
    event = framer.next("a2 NOOP\r\n");
    EXPECT_EQ(event.kind, Kind::Error);
    EXPECT_EQ(event.consumed, 0u);
    EXPECT_FALSE(framer.at_unit_start());
}

TEST(ImapStreamFramer, ServerLiteralErrorsAreAlwaysFatal) {
    StreamFramer framer(server_options(10));
    StreamEvent event = framer.next("* 1 FETCH (BODY[] {11}\r\n");
    ASSERT_EQ(event.kind, Kind::Error);
    EXPECT_FALSE(event.stream_usable);
}

TEST(ImapStreamFramer, OverlongSegmentIsFatal) {
    auto events = frame(client_options(), {std::string(150, 'a'), std::string(60, 'b') + "\r\n"});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0], "error:line longer than 200 bytes");
    events = frame(client_options(), {std::string(250, 'a') + "\r\n"});
    EXPECT_EQ(events, std::vector<std::string>{"error:line longer than 200 bytes"});
    std::string at_limit = std::string(198, 'a') + "\r\n";
    EXPECT_EQ(frame(client_options(), {at_limit}), std::vector<std::string>{"seg<>:" + at_limit});
}

TEST(ImapStreamFramer, AbandonedSyncLiteralStartsANewCommand) {
    StreamFramer framer(client_options());
    StreamEvent event = framer.next("a1 LOGIN {5}\r\n");
    ASSERT_EQ(event.kind, Kind::LineSegment);
    EXPECT_TRUE(framer.awaiting_sync_literal());
    EXPECT_TRUE(framer.abandon_literal());
    EXPECT_FALSE(framer.awaiting_sync_literal());
    EXPECT_FALSE(framer.abandon_literal());
    event = framer.next("a2 NOOP\r\n");
    ASSERT_EQ(event.kind, Kind::LineSegment);
    EXPECT_TRUE(event.starts_unit);
    EXPECT_TRUE(event.ends_unit);
}

TEST(ImapStreamFramer, SyncWaitEndsWithTheFirstBodyByte) {
    StreamFramer framer(client_options());
    (void)framer.next("a1 LOGIN {5}\r\n");
    StreamEvent event = framer.next("al");
    EXPECT_EQ(event.kind, Kind::LiteralBody);
    EXPECT_FALSE(framer.awaiting_sync_literal());
    EXPECT_FALSE(framer.abandon_literal());
}

TEST(ImapStreamFramer, NonSyncAndServerLiteralsNeverWait) {
    StreamFramer client(client_options());
    (void)client.next("a1 LOGIN {5+}\r\n");
    EXPECT_FALSE(client.awaiting_sync_literal());
    StreamFramer server(server_options());
    (void)server.next("* 1 FETCH (BODY[] {5}\r\n");
    EXPECT_FALSE(server.awaiting_sync_literal());
}

TEST(ImapStreamFramer, LargeLiteralBodiesStreamAsViewsIntoTheInput) {
    StreamFramer framer(server_options(limits::kMaxRelayLiteral));
    const std::string body(100000, 'm');
    StreamEvent event = framer.next("* 1 FETCH (BODY[] {100000}\r\n");
    ASSERT_EQ(event.kind, Kind::LineSegment);
    std::size_t seen = 0;
    for (std::size_t offset = 0; offset < body.size(); offset += 4096) {
        std::string_view chunk = std::string_view(body).substr(offset, 4096);
        event = framer.next(chunk);
        ASSERT_EQ(event.kind, Kind::LiteralBody);
        EXPECT_EQ(event.bytes.data(), chunk.data());
        EXPECT_EQ(event.consumed, chunk.size());
        seen += event.bytes.size();
        EXPECT_EQ(event.literal_complete, seen == body.size());
    }
    event = framer.next(")\r\n");
    EXPECT_TRUE(event.ends_unit);
}

TEST(ImapStreamFramer, MaxLiteralCanBeRaisedAfterLogin) {
    StreamFramer framer(client_options(10));
    framer.set_max_literal(limits::kMaxRelayLiteral);
    StreamEvent event = framer.next("a5 APPEND INBOX {5000000+}\r\n");
    ASSERT_EQ(event.kind, Kind::LineSegment);
    EXPECT_EQ(event.literal->size, 5000000u);
}

// Copies what feed() reports, while its views are valid.
struct Recorded {
    Kind kind;
    std::string bytes;
};

TEST(ImapStreamFramer, FeedReportsEveryEventOfAChunk) {
    StreamFramer framer(client_options());
    std::vector<Recorded> events;
    auto record = [&](const StreamEvent& event) {
        events.push_back({event.kind, std::string(event.bytes)});
    };
    const std::string chunk = "a1 LOGIN {1}\r\nx y\r\na2 NO";
    EXPECT_EQ(framer.feed(chunk, record), chunk.size());
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].kind, Kind::LineSegment);
    EXPECT_EQ(events[1].kind, Kind::LiteralBody);
    EXPECT_EQ(events[2].bytes, " y\r\n");
    EXPECT_FALSE(framer.at_unit_start());
    events.clear();
    EXPECT_EQ(framer.feed("OP\r\na3 LOGOUT\r\na4", record), 17u);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].bytes, "a2 NOOP\r\n");
    EXPECT_EQ(events[1].bytes, "a3 LOGOUT\r\n");
    EXPECT_FALSE(framer.at_unit_start());
}

TEST(ImapStreamFramer, ASegmentThatSpannedFeedsIsNotHeldOnceReturned) {
    StreamFramer framer(client_options());
    auto ignore = [](const StreamEvent&) {};
    framer.feed("a1 NO", ignore);
    EXPECT_FALSE(framer.at_unit_start());
    framer.feed("OP\r\n", ignore);  // returned from the framer's own buffer
    EXPECT_TRUE(framer.at_unit_start());
    framer.feed("a2 APPEND x {1}\r", ignore);
    framer.feed("\n", ignore);
    EXPECT_FALSE(framer.at_unit_start());
}

TEST(ImapStreamFramer, FeedGoesOnAfterAUsableError) {
    StreamFramer framer(client_options(3));
    std::vector<Recorded> events;
    auto record = [&](const StreamEvent& event) {
        events.push_back({event.kind, std::string(event.bytes)});
    };
    const std::string chunk = "a1 LOGIN {4}\r\na2 NOOP\r\n";
    EXPECT_EQ(framer.feed(chunk, record), chunk.size());
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, Kind::Error);
    EXPECT_EQ(events[0].bytes, "a1 LOGIN {4}\r\n");
    EXPECT_EQ(events[1].bytes, "a2 NOOP\r\n");
}

TEST(ImapStreamFramer, FeedStopsAtAFatalError) {
    StreamFramer framer(server_options(3));
    std::vector<Recorded> events;
    auto record = [&](const StreamEvent& event) {
        events.push_back({event.kind, std::string(event.bytes)});
    };
    EXPECT_EQ(framer.feed("* OK\r\n* X {4}\r\nabcd\r\n", record), 15u);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].kind, Kind::Error);
}

TEST(ImapLiteralScan, RecognisesEveryAnnouncementForm) {
    auto scan = scan_literal_announcement("a {12}\r\n", 100);
    ASSERT_TRUE(scan.header);
    EXPECT_EQ(*scan.header, (LiteralHeader{12, false, false}));
    EXPECT_EQ(*scan_literal_announcement("a {12+}", 100).header, (LiteralHeader{12, true, false}));
    EXPECT_EQ(*scan_literal_announcement("a ~{12}\n", 100).header,
              (LiteralHeader{12, false, true}));
    EXPECT_EQ(*scan_literal_announcement("~{0+}\r\n", 100).header, (LiteralHeader{0, true, true}));
    EXPECT_FALSE(scan_literal_announcement("a NOOP\r\n", 100).header);
    EXPECT_FALSE(scan_literal_announcement("", 100).header);
    EXPECT_FALSE(scan_literal_announcement("}\r\n", 100).header);
    EXPECT_FALSE(scan_literal_announcement("a {12} x\r\n", 100).header);
    EXPECT_TRUE(scan_literal_announcement("a {12+}\r\n", 100).non_sync);
    EXPECT_TRUE(scan_literal_announcement("a {101+}\r\n", 100).non_sync);
    EXPECT_FALSE(scan_literal_announcement("a {101+}\r\n", 100).error.empty());
}

}  // namespace
}  // namespace mb::protocol::imap
