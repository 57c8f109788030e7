// ImapPreLoginDialogue: scripted not-authenticated dialogues (CAPABILITY, LOGIN with quoted
// strings and literals, AUTHENTICATE PLAIN, STARTTLS, refusals, pipelining, hostile input), each
// fed whole, byte by byte and split at every position: the actions must be the same.
#include "protocol/imap/prelogin_dialogue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/sasl/base64.h"
#include "tests/unit/support/dialogue_script.h"

namespace mb::protocol::imap {
namespace {

using Step = test::DialogueStep<ImapPreLoginDialogue>;
using test::drain;

test::DialogueFactory<ImapPreLoginDialogue> factory(bool starttls = false) {
    return [starttls] {
        return std::make_unique<ImapPreLoginDialogue>(ImapPreLoginDialogue::Options{
            .starttls_offered = starttls, .max_input = 8192, .max_command = 4096});
    };
}

std::string plain(std::string_view user, std::string_view password) {
    return sasl::base64_encode(std::string("\0", 1) + std::string(user) + std::string("\0", 1) +
                               std::string(password));
}

LoginRefusal refusal(bool temporary, std::string message, std::string code, bool close) {
    return {.temporary = temporary,
            .message = std::move(message),
            .upstream_code = std::move(code),
            .close_connection = close};
}

TEST(ImapPreLoginDialogue, GreetingAndCapability) {
    EXPECT_EQ(factory()()->greeting(),
              "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ ID] mailbridge ready\r\n");
    EXPECT_EQ(factory(true)()->greeting(),
              "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED LITERAL+ ID] mailbridge "
              "ready\r\n");
    test::expect_every_split<ImapPreLoginDialogue>(
        factory(), {Step{"a1 CAPABILITY\r\na2 NOOP\r\n"}},
        {"command:a1 CAPABILITY", "reply:* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ ID\r\n",
         "reply:a1 OK CAPABILITY completed\r\n", "command:a2 NOOP",
         "reply:a2 OK NOOP completed\r\n"});
}

TEST(ImapPreLoginDialogue, LoginWithLiteralsAndPipelinedCommands) {
    const std::vector<Step> steps = {
        {"a1 LOGIN {5}\r\nalice {9+}\r\npass word\r\na2 SELECT INBOX\r\n"}};
    test::expect_every_split(
        factory(), steps,
        {"reply:+ Ready for literal data\r\n", "command:a1 LOGIN", "login:alice/pass word"});
    auto dialogue = factory()();
    dialogue->feed(steps[0].bytes);
    std::vector<std::string> out;
    drain(*dialogue, out);
    EXPECT_FALSE(dialogue->wants_input());
    EXPECT_EQ(dialogue->logged_in("mb1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n"),
              "a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n");
    EXPECT_EQ(dialogue->take_pipelined(), "a2 SELECT INBOX\r\n");
}

TEST(ImapPreLoginDialogue, AuthenticatePlain) {
    test::expect_every_split<ImapPreLoginDialogue>(
        factory(), {Step{"a1 AUTHENTICATE PLAIN " + plain("bob", "pw") + "\r\n"}},
        {"command:a1 AUTHENTICATE", "login:bob/pw"});
    test::expect_every_split<ImapPreLoginDialogue>(
        factory(), {Step{"a1 AUTHENTICATE PLAIN\r\n" + plain("carol", "x") + "\r\n"}},
        {"command:a1 AUTHENTICATE", "reply:+ \r\n", "login:carol/x"});
    test::expect_every_split<ImapPreLoginDialogue>(
        factory(), {Step{"a1 AUTHENTICATE PLAIN\r\n*\r\na2 AUTHENTICATE CRAM-MD5\r\n"}},
        {"command:a1 AUTHENTICATE", "reply:+ \r\n", "reply:a1 BAD AUTHENTICATE cancelled\r\n",
         "command:a2 AUTHENTICATE", "reply:a2 NO mailbridge accepts AUTHENTICATE PLAIN only\r\n"});
}

TEST(ImapPreLoginDialogue, RefusalsCarryTheUpstreamCodeThenGoOnOrClose) {
    const std::vector<Step> steps = {
        {"a1 LOGIN dave wrong\r\na2 NOOP\r\n"},
        {"", [](ImapPreLoginDialogue& d) { d.login_refused(refusal(false, "bad", "", false)); }},
        {"a3 LOGIN dave right\r\n"},
        {"",
         [](ImapPreLoginDialogue& d) { d.login_refused(refusal(true, "busy", "LIMIT", true)); }},
        {"a4 NOOP\r\n"},
    };
    test::expect_every_split(
        factory(), steps,
        {"command:a1 LOGIN", "login:dave/wrong", "reply:a1 NO [AUTHENTICATIONFAILED] bad\r\n",
         "command:a2 NOOP", "reply:a2 OK NOOP completed\r\n", "command:a3 LOGIN",
         "login:dave/right", "reply:a3 NO [LIMIT] busy\r\n",
         "close:* BYE mailbridge: too many failed logins on this connection\r\n"});
}

TEST(ImapPreLoginDialogue, StartTlsListenerTakesNoCredentialsBeforeTls) {
    const std::vector<Step> steps = {
        {"a1 LOGIN eve pw\r\na2 STARTTLS\r\na3 LOGIN injected pw\r\n"},
        {"",
         [](ImapPreLoginDialogue& d) {
             EXPECT_TRUE(d.wants_input());
             d.feed("a9 LOGIN early pw\r\n");  // nothing counts before the handshake ends
             d.tls_started();
         }},
        {"a4 STARTTLS\r\na5 LOGIN eve pw\r\n"},
    };
    auto make = factory(true);
    const std::vector<std::string> expected = {
        "command:a1 LOGIN",
        "reply:a1 NO [PRIVACYREQUIRED] LOGIN is disabled before TLS on this listener; issue "
        "STARTTLS first\r\n",
        "command:a2 STARTTLS",
        "start_tls:a2 OK Begin TLS negotiation now\r\n",
        "command:a4 STARTTLS",
        "reply:a4 BAD STARTTLS is not offered on this listener\r\n",
        "command:a5 LOGIN",
        "login:eve/pw"};
    test::expect_every_split(make, steps, expected);
}

TEST(ImapPreLoginDialogue, LogoutAndUnknownCommands) {
    test::expect_every_split<ImapPreLoginDialogue>(
        factory(), {Step{"a1 SELECT INBOX\r\na2 ID NIL\r\na3 LOGOUT\r\na4 NOOP\r\n"}},
        {"command:a1 SELECT",
         "reply:a1 BAD SELECT is not allowed before login; log in with LOGIN or AUTHENTICATE "
         "PLAIN first\r\n",
         "command:a2 ID", "reply:* ID (\"name\" \"mailbridge\")\r\n",
         "reply:a2 OK ID completed\r\n", "command:a3 LOGOUT",
         "reply:* BYE mailbridge: logging out\r\n", "close:a3 OK LOGOUT completed\r\n"});
}

TEST(ImapPreLoginDialogue, HostileInput) {
    // A literal over the pre-login limit, garbage, an oversized command, too much input.
    auto out =
        test::run_script<ImapPreLoginDialogue>(factory(), {Step{"a1 LOGIN {999999}\r\n"}}, 0);
    ASSERT_FALSE(out.empty());
    EXPECT_TRUE(out.back().starts_with("reply:a1 BAD") || out.back().starts_with("close:* BYE"))
        << out.back();

    auto garbage = test::run_script<ImapPreLoginDialogue>(factory(), {Step{"\r\n)(\r\n"}}, 0);
    ASSERT_FALSE(garbage.empty());
    for (const auto& action : garbage) EXPECT_FALSE(action.starts_with("login:")) << action;

    auto dialogue = factory()();
    dialogue->feed("a1 LOGIN {4000+}\r\n" + std::string(4000, 'u') + " {200+}\r\n" +
                   std::string(200, 'p') + "\r\n");
    std::vector<std::string> long_command;
    drain(*dialogue, long_command);
    ASSERT_FALSE(long_command.empty());
    EXPECT_EQ(long_command.back(), "close:* BYE mailbridge: command too long before login\r\n");

    auto flood = factory()();
    flood->feed("a1 LOGIN a b\r\n");  // logging in: further input piles up
    flood->feed(std::string(9000, 'x'));
    std::vector<std::string> flooded;
    drain(*flood, flooded);
    EXPECT_EQ(flooded.back(), "close:* BYE mailbridge: too much input before login\r\n");
}

}  // namespace
}  // namespace mb::protocol::imap
