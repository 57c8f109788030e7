// Tests for ResponseUnitParser: FETCH items with literals,
// NIL, 8-bit and NUL bytes, huge skipped BODY literals, the size bound, every other tracked
// response, hostile input; each input fed whole, one byte at a time and split at every boundary
// through StreamFramer.
#include "protocol/imap/fetch_response.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/imap/stream_framer.h"

namespace mb::protocol::imap {
namespace {

using namespace std::string_literals;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

// A stable description of a parse result, so that feeds cut differently can be compared.
std::string describe(const Result<ResponseUnit>& result) {
    if (!result) return "error";
    return std::visit(
        [](const auto& unit) -> std::string {
            using T = std::decay_t<decltype(unit)>;
            if constexpr (std::is_same_v<T, FetchData>) {
                std::string out = "fetch " + std::to_string(unit.sequence);
                if (unit.uid) out += " uid=" + std::to_string(*unit.uid);
                if (unit.flags) out += " flags=" + join(*unit.flags);
                if (unit.rfc822_size) out += " size=" + std::to_string(*unit.rfc822_size);
                if (unit.internal_date) out += " date=" + *unit.internal_date;
                if (unit.modseq) out += " modseq=" + std::to_string(*unit.modseq);
                if (unit.raw_envelope) out += " envelope=" + *unit.raw_envelope;
                if (!unit.dropped_items.empty()) out += " dropped=" + join(unit.dropped_items);
                return out;
            } else if constexpr (std::is_same_v<T, Exists>) {
                return "exists " + std::to_string(unit.count);
            } else if constexpr (std::is_same_v<T, Expunge>) {
                return "expunge " + std::to_string(unit.sequence);
            } else if constexpr (std::is_same_v<T, Vanished>) {
                std::string out = unit.earlier ? "vanished earlier" : "vanished";
                for (const auto& range : unit.uids)
                    out += " " + std::to_string(range.first) + ":" + std::to_string(range.last);
                return out;
            } else if constexpr (std::is_same_v<T, SearchResult>) {
                std::string out = "search";
                for (auto number : unit.numbers) out += " " + std::to_string(number);
                if (unit.modseq) out += " modseq=" + std::to_string(*unit.modseq);
                return out;
            } else if constexpr (std::is_same_v<T, StatusResponse>) {
                return "status " + unit.tag + " " + std::to_string(static_cast<int>(unit.status)) +
                       " " + unit.code +
                       (unit.code_number ? " " + std::to_string(*unit.code_number) : "");
            } else {
                return "other";
            }
        },
        *result);
}

Result<ResponseUnit> feed_pieces(const std::vector<std::string>& pieces,
                                 std::size_t max_kept = kMaxFetchMetadataBytes) {
    StreamFramer framer({StreamFramer::Direction::ServerToClient, 4096, limits::kMaxRelayLiteral});
    ResponseUnitParser parser(max_kept);
    bool ended = false;
    for (const std::string& piece : pieces) {
        const std::size_t consumed = framer.feed(piece, [&](const StreamEvent& event) {
            EXPECT_FALSE(ended) << "more than one unit";
            if (event.kind == StreamEvent::Kind::Error) {
                ADD_FAILURE() << event.error;
            } else if (event.kind == StreamEvent::Kind::LineSegment) {
                parser.segment(event.bytes);
                ended = event.ends_unit;
            } else {
                parser.literal(event.bytes);
            }
        });
        EXPECT_EQ(consumed, piece.size());
    }
    EXPECT_TRUE(ended);
    return parser.finish();
}

// Parses `unit` whole, byte by byte and split at every boundary; all must agree.
std::string parse_everyhow(const std::string& unit, std::size_t max_kept = kMaxFetchMetadataBytes) {
    const std::string whole = describe(feed_pieces({unit}, max_kept));
    EXPECT_EQ(describe(parse_response_unit(unit, max_kept)), whole);
    std::vector<std::string> bytes;
    for (char c : unit) bytes.emplace_back(1, c);
    EXPECT_EQ(describe(feed_pieces(bytes, max_kept)), whole) << "byte by byte";
    for (std::size_t cut = 1; cut < unit.size(); ++cut)
        EXPECT_EQ(describe(feed_pieces({unit.substr(0, cut), unit.substr(cut)}, max_kept)), whole)
            << "split at " << cut;
    return whole;
}

const std::string kEnvelope =
    R"(("Mon, 7 Feb 1994 21:52:25 -0800" "meeting" (("Fred" NIL "fred" "x.com")) NIL NIL ((NIL NIL "mooch" "y.edu")) NIL NIL NIL "<id@x.com>"))";

TEST(FetchResponse, ReadsEveryWantedItem) {
    const std::string unit =
        "* 12 FETCH (UID 4827313 FLAGS (\\Seen $Junk) RFC822.SIZE 44827 "
        "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" MODSEQ (12121231000) ENVELOPE " +
        kEnvelope + ")\r\n";
    EXPECT_EQ(parse_everyhow(unit),
              "fetch 12 uid=4827313 flags=\\Seen,$Junk size=44827 date=17-Jul-1996 02:44:25 "
              "-0700 modseq=12121231000 envelope=" +
                  kEnvelope);
    auto parsed = parse_response_unit(unit);
    ASSERT_TRUE(parsed.ok());
    const auto& fetch = std::get<FetchData>(*parsed);
    ASSERT_TRUE(fetch.envelope);
    EXPECT_EQ(fetch.envelope->subject, "meeting");
    EXPECT_EQ(fetch.envelope->message_id, "<id@x.com>");
}

TEST(FetchResponse, FlagsOnlyAndEmptyFlags) {
    EXPECT_EQ(parse_everyhow("* 3 fetch (flags ())\r\n"), "fetch 3 flags=");
    EXPECT_EQ(parse_everyhow("* 3 FETCH (FLAGS (\\Answered \\Flagged) UID 9)\r\n"),
              "fetch 3 uid=9 flags=\\Answered,\\Flagged");
}

TEST(FetchResponse, EnvelopeWithLiteralsIsByteExact) {
    const std::string subject = "sub\0ject\r\n\xff\x80"s;
    const std::string envelope = "(NIL {" + std::to_string(subject.size()) + "}\r\n" + subject +
                                 " ((~{2}\r\n\xc3\xa4 NIL \"a\" \"b\")) NIL NIL NIL NIL NIL {0}\r\n"
                                 " NIL)";
    const std::string unit = "* 1 FETCH (ENVELOPE " + envelope + " UID 5)\r\n";
    EXPECT_EQ(parse_everyhow(unit), "fetch 1 uid=5 envelope=" + envelope);
    auto parsed = parse_response_unit(unit);
    ASSERT_TRUE(parsed.ok());
    const auto& fetch = std::get<FetchData>(*parsed);
    ASSERT_TRUE(fetch.envelope);
    EXPECT_EQ(fetch.envelope->subject, subject);
    EXPECT_EQ(fetch.envelope->from.at(0).name, "\xc3\xa4");
    EXPECT_EQ(fetch.envelope->in_reply_to, "");
}

TEST(FetchResponse, QuotedStringsEndAtTheFirstUnescapedQuote) {
    // \" does not close the string, \\ before a quote does not escape it; runs of backslashes
    // count from the opening quote only.
    const std::string envelope =
        R"x(("a\"b" "c\\" ((NIL NIL "\\\\" "h\"")) NIL NIL NIL NIL NIL "\\\"" ")"))x";
    const std::string unit = "* 1 FETCH (ENVELOPE " + envelope + " UID 5)\r\n";
    EXPECT_EQ(parse_everyhow(unit), "fetch 1 uid=5 envelope=" + envelope);
    auto parsed = parse_response_unit(unit);
    ASSERT_TRUE(parsed.ok());
    const auto& fetch = std::get<FetchData>(*parsed);
    ASSERT_TRUE(fetch.envelope);
    EXPECT_EQ(fetch.envelope->date, "a\"b");
    EXPECT_EQ(fetch.envelope->subject, "c\\");
    EXPECT_EQ(fetch.envelope->from.at(0).mailbox, "\\\\");
    EXPECT_EQ(fetch.envelope->in_reply_to, "\\\"");
    EXPECT_EQ(fetch.envelope->message_id, ")");
    EXPECT_EQ(parse_everyhow("* 1 FETCH (UID 5 ENVELOPE (\"open\\\"))\r\n"), "error");
}

TEST(FetchResponse, EnvelopeNilEverywhere) {
    EXPECT_EQ(parse_everyhow("* 1 FETCH (UID 1 ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL "
                             "NIL))\r\n"),
              "fetch 1 uid=1 envelope=(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(FetchResponse, SkipsOtherItemsWithLiteralsAndSections) {
    const std::string unit =
        "* 7 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] {12}\r\nFrom: x\r\n\r\n UID 70 "
        "BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3 1 NIL "
        "NIL NIL) BODY[]<0> {5}\r\n(((((  X-GM-LABELS (\"\\\\Inbox\" {3}\r\n)()) BINARY.SIZE[1] "
        "4 BODY[1] NIL FLAGS (\\Deleted))\r\n";
    EXPECT_EQ(parse_everyhow(unit), "fetch 7 uid=70 flags=\\Deleted");
}

TEST(FetchResponse, HugeBodyLiteralIsNotBuffered) {
    ResponseUnitParser parser(1024);
    parser.segment("* 9 FETCH (UID 99 BODY[] {1073741824}\r\n");
    const std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 1024; ++i) parser.literal(chunk);
    parser.segment(" FLAGS (\\Seen))\r\n");
    EXPECT_EQ(describe(parser.finish()), "fetch 9 uid=99 flags=\\Seen");
}

TEST(FetchResponse, WantedItemsPastTheBoundAreDropped) {
    const std::string envelope =
        "(NIL {2000}\r\n" + std::string(2000, 'y') + " NIL NIL NIL NIL NIL NIL NIL NIL)";
    const std::string unit = "* 2 FETCH (UID 8 ENVELOPE " + envelope + " FLAGS (\\Seen))\r\n";
    EXPECT_EQ(describe(parse_response_unit(unit, 1000)),
              "fetch 2 uid=8 flags=\\Seen dropped=ENVELOPE");
    EXPECT_EQ(describe(parse_response_unit(unit, 2100)),
              "fetch 2 uid=8 flags=\\Seen envelope=" + envelope);
}

TEST(FetchResponse, MalformedWantedValuesAreDropped) {
    EXPECT_EQ(parse_everyhow("* 2 FETCH (UID 0 RFC822.SIZE x INTERNALDATE NIL MODSEQ (a) FLAGS "
                             "(\"q\") ENVELOPE (NIL))\r\n"),
              "fetch 2 dropped=UID,RFC822.SIZE,INTERNALDATE,MODSEQ,FLAGS,ENVELOPE");
    EXPECT_EQ(parse_everyhow("* 2 FETCH (UID 4294967296 RFC822.SIZE 18446744073709551616)\r\n"),
              "fetch 2 dropped=UID,RFC822.SIZE");
}

TEST(FetchResponse, HostileFetchesFail) {
    for (std::string unit :
         {"* 0 FETCH (UID 1)\r\n", "* 1 FETCH UID 1\r\n", "* 1 FETCH (UID 1\r\n",
          "* 1 FETCH (UID 1))\r\n", "* 1 FETCH (UID 1) x\r\n", "* 1 FETCH (UID)\r\n",
          "* 1 FETCH (BODY[1 {3}\r\nabc)\r\n", "* 1 FETCH (ENVELOPE (\"open))\r\n",
          "* 1 FETCH ((UID 1)\r\n", "* 1 FETCH (\"UID\" 1)\r\n", "* 1 FETCH (UID a{b)\r\n",
          "* 99999999999 FETCH (UID 1)\r\n"}) {
        EXPECT_EQ(parse_everyhow(unit), "error") << unit;
    }
}

TEST(FetchResponse, LiteralWhereANumberBelongsIsDropped) {
    EXPECT_EQ(parse_everyhow("* 1 FETCH (UID {1}\r\n1)\r\n"), "fetch 1 dropped=UID");
}

TEST(FetchResponse, DirectFeedErrors) {
    ResponseUnitParser parser;
    EXPECT_FALSE(parser.finish().ok());
    parser.literal("x");
    EXPECT_FALSE(parser.finish().ok());
    parser.segment("* 1 FETCH (BODY[] {2}\r\n");
    parser.literal("abc");
    EXPECT_FALSE(parser.finish().ok());
    parser.segment("* 1 FETCH (BODY[] {2}\r\n");
    parser.segment(")\r\n");
    EXPECT_FALSE(parser.finish().ok());
    parser.segment("* 1 EXISTS\r\n");
    parser.segment("* 2 EXISTS\r\n");
    EXPECT_FALSE(parser.finish().ok());
    parser.segment("* 1 FETCH (UID 3)\r\n");
    EXPECT_EQ(describe(parser.finish()), "fetch 1 uid=3");
    EXPECT_FALSE(parse_response_unit("* 1 EXISTS\r\n* 2 EXISTS\r\n").ok());
    EXPECT_FALSE(parse_response_unit("* 1 FETCH (BODY[] {5}\r\nab").ok());
}

TEST(TrackedResponses, CountsAndStatus) {
    EXPECT_EQ(parse_everyhow("* 23 EXISTS\r\n"), "exists 23");
    EXPECT_EQ(parse_everyhow("* 0 EXISTS\r\n"), "exists 0");
    EXPECT_EQ(parse_everyhow("* 4 expunge\r\n"), "expunge 4");
    EXPECT_EQ(parse_everyhow("* 0 EXPUNGE\r\n"), "error");
    EXPECT_EQ(parse_everyhow("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"),
              "status  1 UIDVALIDITY 3857529045");
    EXPECT_EQ(parse_everyhow("* OK [UIDNEXT 4392] Predicted next UID\r\n"),
              "status  1 UIDNEXT 4392");
    EXPECT_EQ(parse_everyhow("* OK [HIGHESTMODSEQ 715194045007]\r\n"),
              "status  1 HIGHESTMODSEQ 715194045007");
    EXPECT_EQ(parse_everyhow("A142 OK [READ-WRITE] SELECT completed\r\n"),
              "status A142 1 READ-WRITE");
    EXPECT_EQ(parse_everyhow("A143 ok [read-only] EXAMINE completed\r\n"),
              "status A143 1 READ-ONLY");
    EXPECT_EQ(parse_everyhow("A144 NO no such mailbox\r\n"), "status A144 2 ");
    EXPECT_EQ(parse_everyhow("* FLAGS (\\Answered \\Seen)\r\n"), "other");
    EXPECT_EQ(parse_everyhow("* LIST () \"/\" {5}\r\nINBOX\r\n"), "other");
    EXPECT_EQ(parse_everyhow("+ go ahead\r\n"), "other");
}

TEST(TrackedResponses, VanishedAndSearch) {
    EXPECT_EQ(parse_everyhow("* VANISHED (EARLIER) 300:310,405,411\r\n"),
              "vanished earlier 300:310 405:405 411:411");
    EXPECT_EQ(parse_everyhow("* VANISHED 9:7\r\n"), "vanished 7:9");
    EXPECT_EQ(parse_everyhow("* VANISHED 1:*\r\n"), "error");
    EXPECT_EQ(parse_everyhow("* VANISHED 1,\r\n"), "error");
    EXPECT_EQ(parse_everyhow("* VANISHED\r\n"), "error");
    EXPECT_EQ(parse_everyhow("* SEARCH 2 84 882\r\n"), "search 2 84 882");
    EXPECT_EQ(parse_everyhow("* SEARCH\r\n"), "search");
    EXPECT_EQ(parse_everyhow("* SEARCH 2 5 (MODSEQ 917162500)\r\n"), "search 2 5 modseq=917162500");
    EXPECT_EQ(parse_everyhow("* SEARCH 2 x\r\n"), "error");
    EXPECT_EQ(parse_everyhow("* SEARCH 2 (MODSEQ x)\r\n"), "error");
}

TEST(UidSet, Ranges) {
    auto set = parse_uid_set("1,3:5,4294967295");
    ASSERT_TRUE(set.ok());
    EXPECT_EQ(*set, (std::vector<UidRange>{{1, 1}, {3, 5}, {4294967295u, 4294967295u}}));
    for (const char* bad : {"", "0", "1:", ":1", "1,,2", "4294967296", "a", "1:2:3"})
        EXPECT_FALSE(parse_uid_set(bad).ok()) << bad;
}

}  // namespace
}  // namespace mb::protocol::imap
