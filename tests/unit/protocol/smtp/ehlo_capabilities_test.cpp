// Tests for EHLO capabilities: parsing an upstream EHLO reply, and the bridge's own EHLO reply
// (what passes through, what never does, STARTTLS and AUTH as offered).
#include "protocol/smtp/ehlo_capabilities.h"

#include <gtest/gtest.h>

namespace mb::protocol::smtp {
namespace {

Reply reply_of(std::vector<std::string> lines) {
    return Reply{250, "", std::move(lines)};
}

TEST(SmtpEhloCapabilities, ParsesUpstreamKeywords) {
    EhloCapabilities caps = parse_ehlo_reply(
        reply_of({"smtp.example.com at your service", "SIZE 35882577", "8BITMIME", "STARTTLS",
                  "AUTH LOGIN PLAIN XOAUTH2 OAUTHBEARER", "ENHANCEDSTATUSCODES", "PIPELINING",
                  "CHUNKING", "SMTPUTF8", "dsn", "BINARYMIME"}));
    EXPECT_EQ(caps.size, 35882577u);
    EXPECT_TRUE(caps.eight_bit_mime && caps.starttls && caps.enhanced_status_codes &&
                caps.pipelining && caps.chunking && caps.smtputf8 && caps.dsn && caps.binary_mime);
    EXPECT_EQ(caps.auth_mechanisms,
              (std::vector<std::string>{"LOGIN", "PLAIN", "XOAUTH2", "OAUTHBEARER"}));
    EXPECT_TRUE(caps.has_auth("xoauth2"));
    EXPECT_FALSE(caps.has_auth("CRAM-MD5"));
}

TEST(SmtpEhloCapabilities, OldStyleAuthAndOddSizes) {
    EhloCapabilities caps =
        parse_ehlo_reply(reply_of({"host", "AUTH=LOGIN PLAIN", "AUTH LOGIN", "SIZE"}));
    EXPECT_EQ(caps.auth_mechanisms, (std::vector<std::string>{"LOGIN", "PLAIN"}));
    EXPECT_EQ(caps.size, 0u);
    EXPECT_FALSE(parse_ehlo_reply(reply_of({"host", "SIZE many"})).size);
    EXPECT_FALSE(parse_ehlo_reply(reply_of({"host", "SIZE 99999999999999999999"})).size);
    EXPECT_FALSE(parse_ehlo_reply(reply_of({"STARTTLS"})).starttls);  // the first line is a name
}

TEST(SmtpEhloCapabilities, LocalReplyBeforeLogin) {
    EhloCapabilities upstream = parse_ehlo_reply(
        reply_of({"up", "SIZE 1000", "8BITMIME", "STARTTLS", "AUTH XOAUTH2", "ENHANCEDSTATUSCODES",
                  "PIPELINING", "CHUNKING", "BINARYMIME", "SMTPUTF8", "DSN", "XCLIENT NAME"}));
    EXPECT_EQ(ehlo_reply("bridge.local", {true, true}, upstream),
              "250-bridge.local\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
              "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250-STARTTLS\r\n"
              "250 AUTH PLAIN LOGIN\r\n");
}

TEST(SmtpEhloCapabilities, LocalReplyBeforeStartTlsOffersNoAuth) {
    // A STARTTLS listener before TLS: STARTTLS is the last keyword and AUTH is not offered.
    EhloCapabilities upstream = parse_ehlo_reply(reply_of({"up", "PIPELINING", "AUTH PLAIN"}));
    EXPECT_EQ(ehlo_reply("b", {.starttls = true, .auth = false}, upstream),
              "250-b\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
}

TEST(SmtpEhloCapabilities, LocalReplyAfterLoginAndWithoutUpstream) {
    EXPECT_EQ(ehlo_reply("bridge.local", {false, false}, EhloCapabilities{}),
              "250 bridge.local\r\n");
    EhloCapabilities unlimited;
    unlimited.size = 0;
    EXPECT_EQ(ehlo_reply("b", {false, true}, unlimited),
              "250-b\r\n250-SIZE\r\n250 AUTH PLAIN LOGIN\r\n");
}

}  // namespace
}  // namespace mb::protocol::smtp
