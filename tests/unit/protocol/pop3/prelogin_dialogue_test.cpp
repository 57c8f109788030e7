// Pop3PreLoginDialogue: scripted AUTHORIZATION-state dialogues (CAPA, USER/PASS, AUTH PLAIN,
// STLS, refusals, pipelining, hostile input), each fed whole, byte by byte and split at every
// position: the actions must be the same whatever the split.
#include "protocol/pop3/prelogin_dialogue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "protocol/sasl/base64.h"
#include "tests/unit/support/dialogue_script.h"

namespace mb::protocol::pop3 {
namespace {

using Step = test::DialogueStep<Pop3PreLoginDialogue>;
using test::drain;

// The session's own input bound: four AUTH lines.
test::DialogueFactory<Pop3PreLoginDialogue> factory(bool starttls = false) {
    return [starttls] {
        return std::make_unique<Pop3PreLoginDialogue>(Pop3PreLoginDialogue::Options{
            .starttls_offered = starttls, .max_input = 4 * limits::kMaxAuthLine});
    };
}

std::string plain(std::string_view user, std::string_view password) {
    return sasl::base64_encode(std::string("\0", 1) + std::string(user) + std::string("\0", 1) +
                               std::string(password));
}

LoginRefusal refusal(bool temporary, std::string message, bool close) {
    return {.temporary = temporary,
            .message = std::move(message),
            .upstream_code = {},
            .close_connection = close};
}

TEST(Pop3PreLoginDialogue, GreetsAndListsCapabilities) {
    auto dialogue = factory()();
    EXPECT_EQ(dialogue->greeting(), "+OK mailbridge ready\r\n");
    test::expect_every_split<Pop3PreLoginDialogue>(
        factory(), {Step{"CAPA\r\nNOOP\r\n"}},
        {"command:CAPA",
         "reply:+OK Capability list follows\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\n"
         "AUTH-RESP-CODE\r\n.\r\n",
         "command:NOOP", "reply:+OK\r\n"});
}

TEST(Pop3PreLoginDialogue, UserPassLogsInAndKeepsPipelinedCommands) {
    const std::vector<Step> steps = {{"USER alice@example.test\r\nPASS pass word\r\nSTAT\r\n"}};
    test::expect_every_split(factory(), steps,
                             {"command:USER", "reply:+OK send PASS\r\n", "command:PASS",
                              "login:alice@example.test/pass word"});
    auto dialogue = factory()();
    dialogue->feed(steps[0].bytes);
    std::vector<std::string> out;
    drain(*dialogue, out);
    EXPECT_FALSE(dialogue->wants_input());
    EXPECT_EQ(dialogue->logged_in("+OK upstream says hi\r\n"), "+OK upstream says hi\r\n");
    EXPECT_EQ(dialogue->take_pipelined(), "STAT\r\n");
}

TEST(Pop3PreLoginDialogue, AuthPlainWithAndWithoutInitialResponse) {
    test::expect_every_split<Pop3PreLoginDialogue>(
        factory(), {Step{"AUTH PLAIN " + plain("bob", "pw") + "\r\n"}},
        {"command:AUTH", "login:bob/pw"});
    test::expect_every_split<Pop3PreLoginDialogue>(
        factory(), {Step{"AUTH PLAIN\r\n" + plain("carol", "x y") + "\r\n"}},
        {"command:AUTH", "reply:+ \r\n", "login:carol/x y"});
    test::expect_every_split<Pop3PreLoginDialogue>(
        factory(), {Step{"AUTH\r\nAUTH CRAM-MD5\r\nAUTH PLAIN\r\n*\r\n"}},
        {"command:AUTH", "reply:+OK\r\nPLAIN\r\n.\r\n", "command:AUTH",
         "reply:-ERR mailbridge accepts AUTH PLAIN (or USER/PASS) only\r\n", "command:AUTH",
         "reply:+ \r\n", "reply:-ERR AUTH cancelled\r\n"});
}

TEST(Pop3PreLoginDialogue, RefusalsAnswerThenGoOnOrClose) {
    const std::vector<Step> steps = {
        {"USER dave\r\nPASS wrong\r\nNOOP\r\n"},
        {"",
         [](Pop3PreLoginDialogue& d) { d.login_refused(refusal(false, "bad password", false)); }},
        {"USER dave\r\nPASS right\r\n"},
        {"",
         [](Pop3PreLoginDialogue& d) { d.login_refused(refusal(true, "upstream down", true)); }},
        {"NOOP\r\n"},
    };
    test::expect_every_split(
        factory(), steps,
        {"command:USER", "reply:+OK send PASS\r\n", "command:PASS", "login:dave/wrong",
         "reply:-ERR [AUTH] bad password\r\n", "command:NOOP", "reply:+OK\r\n", "command:USER",
         "reply:+OK send PASS\r\n", "command:PASS", "login:dave/right",
         "reply:-ERR [SYS/TEMP] upstream down\r\n", "close:"});
}

TEST(Pop3PreLoginDialogue, StlsListenerTakesNoCredentialsBeforeTls) {
    const std::vector<Step> steps = {
        {"USER eve\r\nSTLS\r\nPASS injected\r\n"},
        {"",
         [](Pop3PreLoginDialogue& d) {
             EXPECT_TRUE(d.wants_input());  // the handshake reads
             d.feed("USER early\r\n");      // nothing counts before the handshake ends
             d.tls_started();
         }},
        {"STLS\r\nUSER eve\r\nPASS pw\r\n"},
    };
    auto make = factory(true);
    EXPECT_EQ(test::run_script(make, steps, 0),
              (std::vector<std::string>{
                  "command:USER",
                  "reply:-ERR [AUTH] USER is disabled before TLS on this listener; issue STLS "
                  "first\r\n",
                  "command:STLS", "start_tls:+OK Begin TLS negotiation now\r\n", "command:STLS",
                  "reply:-ERR STLS is not offered here\r\n", "command:USER",
                  "reply:+OK send PASS\r\n", "command:PASS", "login:eve/pw"}));
    test::expect_every_split(make, steps, test::run_script(make, steps, 0));
}

TEST(Pop3PreLoginDialogue, TlsUnavailableCloses) {
    auto dialogue = factory(true)();
    dialogue->feed("STLS\r\n");
    dialogue->tls_unavailable("no key");
    std::vector<std::string> out;
    drain(*dialogue, out);
    EXPECT_EQ(out.back(), "close:-ERR [SYS/TEMP] mailbridge: cannot start TLS: no key\r\n");
}

TEST(Pop3PreLoginDialogue, HostileInput) {
    // PASS before USER, an unknown command, a bare LF line end (accepted), a line too long.
    const std::vector<Step> steps = {
        {"PASS x\r\nRETR 1\r\nNOOP\n" + std::string(20000, 'A') + "\r\nQUIT\r\nNOOP\r\n"}};
    auto out = test::run_script(factory(), steps, 0);
    ASSERT_EQ(out.size(), 9u);
    EXPECT_EQ(out[1], "reply:-ERR send USER first\r\n");
    EXPECT_TRUE(out[3].starts_with("reply:-ERR RETR is not allowed before login")) << out[3];
    EXPECT_EQ(out[5], "reply:+OK\r\n");
    EXPECT_TRUE(out[6].starts_with("reply:-ERR")) << out[6];
    EXPECT_EQ(out[7], "command:QUIT");
    EXPECT_EQ(out[8], "close:+OK mailbridge signing off\r\n");
    test::expect_every_split(factory(), steps, out);

    auto flood = factory()();
    flood->feed("USER a\r\nPASS b\r\n");  // logging in: further input piles up
    flood->feed(std::string(4 * limits::kMaxAuthLine + 1, 'x'));
    std::vector<std::string> flooded;
    drain(*flood, flooded);
    EXPECT_EQ(flooded.back(), "close:-ERR [SYS/TEMP] mailbridge: too much input before login\r\n");
}

}  // namespace
}  // namespace mb::protocol::pop3
