// Tests for the upstream response parser: greetings, CAPABILITY, continuations, tagged results
// with response codes, and malformed lines.
#include "protocol/imap/response_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/limits.h"

namespace mb::protocol::imap {
namespace {

Response parsed(std::string_view line) {
    auto result = parse_response(line);
    if (!result) {
        ADD_FAILURE() << "parse failed for [" << line << "]: " << result.error().message;
        return {};
    }
    return *result;
}

std::string failed(std::string_view line) {
    auto result = parse_response(line);
    if (result) {
        ADD_FAILURE() << "parse succeeded for [" << line << "]";
        return {};
    }
    return result.error().message;
}

using Caps = std::vector<std::string_view>;

TEST(ImapResponseParser, GreetingWithCapabilityCode) {
    Response r = parsed(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
        "LITERAL+ AUTH=XOAUTH2 AUTH=OAUTHBEARER] Dovecot ready.\r\n");
    EXPECT_EQ(r.kind, Response::Kind::Untagged);
    EXPECT_EQ(r.status, ResponseStatus::Ok);
    ASSERT_TRUE(r.code);
    EXPECT_EQ(r.code->name, "CAPABILITY");
    EXPECT_EQ(r.text, "Dovecot ready.");
    EXPECT_EQ(r.capabilities.size(), 9u);
    EXPECT_TRUE(has_capability(r.capabilities, "auth=oauthbearer"));
    EXPECT_FALSE(has_capability(r.capabilities, "STARTTLS"));
}

TEST(ImapResponseParser, GreetingsWithoutCode) {
    Response r = parsed("* OK The Microsoft Exchange IMAP4 service is ready.\r\n");
    EXPECT_EQ(r.status, ResponseStatus::Ok);
    EXPECT_FALSE(r.code);
    EXPECT_EQ(r.text, "The Microsoft Exchange IMAP4 service is ready.");
    EXPECT_EQ(parsed("* PREAUTH welcome\r\n").status, ResponseStatus::PreAuth);
    Response bye = parsed("* bye [UNAVAILABLE] go away");
    EXPECT_EQ(bye.status, ResponseStatus::Bye);
    EXPECT_TRUE(bye.code->is("unavailable"));
    EXPECT_EQ(bye.text, "go away");
    EXPECT_EQ(parsed("* OK\r\n").text, "");
}

TEST(ImapResponseParser, UntaggedCapabilityAndData) {
    Response r = parsed("* CAPABILITY IMAP4rev1  STARTTLS AUTH=PLAIN\r\n");
    EXPECT_EQ(r.status, ResponseStatus::None);
    EXPECT_EQ(r.data_name, "CAPABILITY");
    EXPECT_EQ(r.capabilities, (Caps{"IMAP4rev1", "STARTTLS", "AUTH=PLAIN"}));
    Response exists = parsed("* 23 EXISTS\r\n");
    EXPECT_EQ(exists.number, 23u);
    EXPECT_EQ(exists.data_name, "EXISTS");
    Response id = parsed("* ID (\"name\" \"Dovecot\")\r\n");
    EXPECT_EQ(id.data_name, "ID");
    EXPECT_EQ(id.text, "(\"name\" \"Dovecot\")");
    EXPECT_TRUE(id.capabilities.empty());
}

TEST(ImapResponseParser, Continuations) {
    Response r = parsed("+ eyJzdGF0dXMiOiI0MDAifQ==\r\n");
    EXPECT_EQ(r.kind, Response::Kind::Continuation);
    EXPECT_EQ(r.text, "eyJzdGF0dXMiOiI0MDAifQ==");
    EXPECT_EQ(parsed("+ \r\n").text, "");
    EXPECT_EQ(parsed("+\r\n").text, "");
    EXPECT_EQ(parsed("+ Ready for literal data\r\n").text, "Ready for literal data");
    EXPECT_NE(failed("+x\r\n").find("continuation"), std::string::npos);
}

TEST(ImapResponseParser, TaggedResults) {
    Response ok = parsed("a1 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n");
    EXPECT_EQ(ok.kind, Response::Kind::Tagged);
    EXPECT_EQ(ok.tag, "a1");
    EXPECT_EQ(ok.status, ResponseStatus::Ok);
    EXPECT_EQ(ok.capabilities, (Caps{"IMAP4rev1", "IDLE", "MOVE"}));
    EXPECT_EQ(ok.text, "Logged in");

    Response no = parsed("a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    EXPECT_EQ(no.status, ResponseStatus::No);
    EXPECT_TRUE(no.code->is("AUTHENTICATIONFAILED"));
    EXPECT_EQ(no.code->arguments, "");

    Response throttled = parsed("a3 NO Request is throttled. Suggested Backoff Time: 256625\r\n");
    EXPECT_FALSE(throttled.code);
    EXPECT_EQ(throttled.text, "Request is throttled. Suggested Backoff Time: 256625");

    Response bad = parsed("a4 bad [PARSE] junk");
    EXPECT_EQ(bad.status, ResponseStatus::Bad);
    EXPECT_EQ(parsed("a5 OK").text, "");
    Response unavailable = parsed("a6 NO [UNAVAILABLE] Temporary authentication failure\n");
    EXPECT_TRUE(unavailable.code->is("UNAVAILABLE"));
    Response with_args = parsed("a7 OK [APPENDUID 38505 3955] APPEND completed\r\n");
    EXPECT_EQ(with_args.code->arguments, "38505 3955");
}

TEST(ImapResponseParser, MalformedLines) {
    EXPECT_EQ(failed("\r\n"), "empty response line");
    EXPECT_EQ(failed("*\r\n"), "untagged response has no content");
    EXPECT_EQ(failed("* \r\n"), "untagged response has no content");
    EXPECT_EQ(failed("* 12\r\n"), "numeric untagged response has no name");
    EXPECT_EQ(failed("a1 MAYBE done\r\n"), "tagged response must be OK, NO or BAD");
    EXPECT_EQ(failed("a1 BYE done\r\n"), "tagged response must be OK, NO or BAD");
    EXPECT_EQ(failed("a1\r\n"), "tagged response must be OK, NO or BAD");
    EXPECT_EQ(failed("a{1 OK\r\n"), "response tag contains an invalid character");
    EXPECT_EQ(failed(" OK\r\n"), "response tag is empty or too long");
    EXPECT_EQ(failed("a1 OK [CAPABILITY IMAP4rev1\r\n"), "response code is not closed with ']'");
    EXPECT_EQ(failed("a1 OK [] x\r\n"), "response code has no name");
    EXPECT_EQ(failed("a1 OK [A(B] x\r\n"), "response code name contains an invalid character");
    EXPECT_EQ(failed(std::string("* OK a\0b\r\n", 10)), "response line contains NUL, CR or LF");
    EXPECT_EQ(failed("* OK a\rb\r\n"), "response line contains NUL, CR or LF");
}

TEST(ImapResponseParser, Limits) {
    std::string many = "* CAPABILITY";
    for (std::size_t i = 0; i <= limits::kMaxCapabilities; ++i) many += " X" + std::to_string(i);
    EXPECT_NE(failed(many).find("more than"), std::string::npos);
    std::string long_code = "a1 OK [X " + std::string(limits::kMaxResponseCodeLength, 'y') + "]";
    EXPECT_NE(failed(long_code).find("longer than"), std::string::npos);
    EXPECT_EQ(failed(std::string(limits::kMaxTagLength + 1, 't') + " OK\r\n"),
              "response tag is empty or too long");
}

}  // namespace
}  // namespace mb::protocol::imap
