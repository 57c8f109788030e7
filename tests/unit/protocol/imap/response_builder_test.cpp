// Tests for the responses the bridge writes to local clients, including text that tries to break
// out of its line, and a round trip through the response parser.
#include "protocol/imap/response_builder.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "protocol/imap/capabilities.h"

namespace mb::protocol::imap {
namespace {

TEST(ImapResponseBuilder, GreetingAndCapability) {
    EXPECT_EQ(greeting_response(pre_auth_capabilities({}), "mailbridge ready"),
              "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ ID] mailbridge ready\r\n");
    EXPECT_EQ(capability_response(pre_auth_capabilities({.starttls = true})),
              "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN SASL-IR LITERAL+ ID\r\n");
    const std::string greeting = greeting_response(pre_auth_capabilities({.starttls = true}), "hi");
    auto parsed = parse_response(greeting);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->capabilities, pre_auth_capabilities({.starttls = true}));
    EXPECT_EQ(parsed->text, "hi");
}

TEST(ImapResponseBuilder, TaggedResponses) {
    EXPECT_EQ(tagged_response("a1", ResponseStatus::Ok, "", "LOGIN completed"),
              "a1 OK LOGIN completed\r\n");
    EXPECT_EQ(tagged_response("a2", ResponseStatus::No, "AUTHENTICATIONFAILED", "wrong password"),
              "a2 NO [AUTHENTICATIONFAILED] wrong password\r\n");
    EXPECT_EQ(tagged_response("a3", ResponseStatus::Bad, "", ""), "a3 BAD\r\n");
    EXPECT_THROW((void)tagged_response("a4", ResponseStatus::Bye, "", "x"), std::invalid_argument);
    EXPECT_THROW((void)tagged_response("a4", ResponseStatus::None, "", "x"), std::invalid_argument);
}

TEST(ImapResponseBuilder, UntaggedResponses) {
    EXPECT_EQ(bye_response("Logging out"), "* BYE Logging out\r\n");
    EXPECT_EQ(untagged_response(ResponseStatus::Bad, "", "missing tag"), "* BAD missing tag\r\n");
    EXPECT_EQ(untagged_response(ResponseStatus::Bye, "UNAVAILABLE", "upstream down"),
              "* BYE [UNAVAILABLE] upstream down\r\n");
    EXPECT_THROW((void)untagged_response(ResponseStatus::None, "", ""), std::invalid_argument);
}

TEST(ImapResponseBuilder, TextCannotBreakTheLine) {
    EXPECT_EQ(tagged_response("a1", ResponseStatus::No, "", "bad\r\na2 OK injected"),
              "a1 NO bad  a2 OK injected\r\n");
    EXPECT_EQ(tagged_response("a1", ResponseStatus::No, "X]Y", "t"), "a1 NO [X Y] t\r\n");
    EXPECT_EQ(tagged_response("a1", ResponseStatus::No, "", "[ALERT] fake"),
              "a1 NO (ALERT] fake\r\n");
    EXPECT_EQ(continuation_response(std::string("a\0b\nc", 5)), "+ a b c\r\n");
    EXPECT_EQ(bye_response("x\r"), "* BYE x \r\n");
}

TEST(ImapResponseBuilder, Continuation) {
    EXPECT_EQ(continuation_response(""), "+ \r\n");
    EXPECT_EQ(continuation_response("VXNlcm5hbWU6"), "+ VXNlcm5hbWU6\r\n");
}

TEST(ImapResponseBuilder, IdResponse) {
    EXPECT_EQ(id_response({}), "* ID NIL\r\n");
    EXPECT_EQ(id_response({{"name", "mailbridge"}, {"version", std::nullopt}, {"x", "a\"b"}}),
              "* ID (\"name\" \"mailbridge\" \"version\" NIL \"x\" \"a\\\"b\")\r\n");
    EXPECT_EQ(id_response({{"name", "line\r\nbreak"}}),
              "* ID (\"name\" {11}\r\nline\r\nbreak)\r\n");
}

}  // namespace
}  // namespace mb::protocol::imap
