// Tests for parse_envelope and format_addresses: NIL everywhere, escapes, literals with 8-bit
// bytes, CR, LF and NUL, groups, and malformed shapes.
#include "protocol/imap/envelope.h"

#include <gtest/gtest.h>

#include <string>

namespace mb::protocol::imap {
namespace {

using namespace std::string_literals;

TEST(Envelope, ParsesATypicalEnvelope) {
    auto envelope = parse_envelope(
        R"(("Mon, 7 Feb 1994 21:52:25 -0800" "afternoon meeting" (("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) (("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) (("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) ((NIL NIL "mooch" "owatagu.siam.edu")) NIL NIL NIL "<B27397-0100000@Blurdybloop.COM>"))");
    ASSERT_TRUE(envelope.ok()) << envelope.error().message;
    EXPECT_EQ(envelope->date, "Mon, 7 Feb 1994 21:52:25 -0800");
    EXPECT_EQ(envelope->subject, "afternoon meeting");
    ASSERT_EQ(envelope->from.size(), 1u);
    EXPECT_EQ(envelope->from[0].name, "Fred Foobar");
    EXPECT_EQ(envelope->from[0].adl, std::nullopt);
    EXPECT_EQ(envelope->from[0].mailbox, "foobar");
    EXPECT_EQ(envelope->from[0].host, "Blurdybloop.COM");
    ASSERT_EQ(envelope->to.size(), 1u);
    EXPECT_EQ(envelope->to[0].name, std::nullopt);
    EXPECT_TRUE(envelope->cc.empty());
    EXPECT_EQ(envelope->in_reply_to, std::nullopt);
    EXPECT_EQ(envelope->message_id, "<B27397-0100000@Blurdybloop.COM>");
    EXPECT_EQ(format_addresses(envelope->from), "Fred Foobar <foobar@Blurdybloop.COM>");
    EXPECT_EQ(format_addresses(envelope->to), "mooch@owatagu.siam.edu");
}

TEST(Envelope, NilEverywhere) {
    auto envelope = parse_envelope("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
    ASSERT_TRUE(envelope.ok()) << envelope.error().message;
    EXPECT_EQ(*envelope, Envelope{});
    auto lower = parse_envelope("(nil nil nil nil nil nil nil nil nil nil)");
    ASSERT_TRUE(lower.ok());
    auto addresses = parse_envelope("(NIL NIL ((NIL NIL NIL NIL)) () NIL NIL NIL NIL NIL NIL)");
    ASSERT_TRUE(addresses.ok()) << addresses.error().message;
    ASSERT_EQ(addresses->from.size(), 1u);
    EXPECT_EQ(addresses->from[0], Address{});
}

TEST(Envelope, QuotedEscapesAndRfc2047KeptRaw) {
    auto envelope = parse_envelope(
        R"((NIL "=?UTF-8?B?w6TDtsO8?= \"quoted\" back\\slash" NIL NIL NIL NIL NIL NIL NIL NIL))");
    ASSERT_TRUE(envelope.ok()) << envelope.error().message;
    EXPECT_EQ(envelope->subject, R"(=?UTF-8?B?w6TDtsO8?= "quoted" back\slash)");
}

TEST(Envelope, LiteralsAreByteExact) {
    const std::string subject = "a\0b\r\nc\xff\x80\x01\"\\)"s;
    const std::string raw = "(NIL {" + std::to_string(subject.size()) + "}\r\n" + subject +
                            " ((~{3}\r\n\xc3\xa4x NIL {1+}\r\n\0 \"h\")) NIL NIL NIL NIL NIL NIL "
                            "{0}\r\n)"s;
    auto envelope = parse_envelope(raw);
    ASSERT_TRUE(envelope.ok()) << envelope.error().message;
    EXPECT_EQ(envelope->subject, subject);
    ASSERT_EQ(envelope->from.size(), 1u);
    EXPECT_EQ(envelope->from[0].name, "\xc3\xa4x");
    EXPECT_EQ(envelope->from[0].mailbox, "\0"s);
    EXPECT_EQ(envelope->message_id, "");
}

TEST(Envelope, GroupsAndSeveralAddresses) {
    auto envelope = parse_envelope(
        R"((NIL NIL ((NIL NIL "team" NIL) ("A" NIL "a" "x.org") (NIL NIL "b" "y.org") (NIL NIL NIL NIL) (NIL NIL "c" "z.org")) NIL NIL NIL NIL NIL NIL NIL))");
    ASSERT_TRUE(envelope.ok()) << envelope.error().message;
    EXPECT_EQ(format_addresses(envelope->from), "team: A <a@x.org>, b@y.org;, c@z.org");
}

TEST(Envelope, RejectsMalformedShapes) {
    for (std::string raw :
         {"", "NIL", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
          "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
          "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL", "(NIL NIL (NIL) NIL NIL NIL NIL NIL NIL NIL)",
          "(NIL NIL ((NIL NIL NIL)) NIL NIL NIL NIL NIL NIL NIL)",
          "(NIL NIL ((NIL NIL NIL NIL NIL)) NIL NIL NIL NIL NIL NIL NIL)",
          "(NIL \"open NIL NIL NIL NIL NIL NIL NIL NIL)", "(NIL {5}\r\nab)",
          "(NIL {5}ab NIL NIL NIL NIL NIL NIL NIL NIL)", "(NIL {}\r\n NIL)",
          "(NIL {99999999999}\r\n NIL)", "(NILS NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
          "(atom NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
          "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) x",
          "(\"a\rb\" NIL NIL NIL NIL NIL NIL NIL NIL NIL)"}) {
        EXPECT_FALSE(parse_envelope(raw).ok()) << raw;
    }
}

}  // namespace
}  // namespace mb::protocol::imap
