// SmtpPreLoginDialogue: scripted dialogues (EHLO waiting for the upstream, STARTTLS, AUTH PLAIN
// and LOGIN, refusals, pipelining, hostile input), each fed whole, byte by byte and split at
// every position: the actions must be the same whatever the split.
#include "protocol/smtp/prelogin_dialogue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/sasl/base64.h"
#include "tests/unit/support/dialogue_script.h"

namespace mb::protocol::smtp {
namespace {

using Step = test::DialogueStep<SmtpPreLoginDialogue>;
using test::drain;

SmtpPreLoginDialogue::Options options(bool starttls = false) {
    return {.domain = "bridge.test", .starttls_offered = starttls, .max_input = 4096};
}

test::DialogueFactory<SmtpPreLoginDialogue> factory(bool starttls = false) {
    return [starttls] { return std::make_unique<SmtpPreLoginDialogue>(options(starttls)); };
}

std::vector<std::string> run(const std::vector<Step>& steps, std::size_t piece,
                             bool starttls = false) {
    return test::run_script(factory(starttls), steps, piece);
}

void expect_every_split(const std::vector<Step>& steps, const std::vector<std::string>& expected,
                        bool starttls = false) {
    test::expect_every_split(factory(starttls), steps, expected);
}

std::string plain(std::string_view user, std::string_view password) {
    return sasl::base64_encode(std::string("\0", 1) + std::string(user) + std::string("\0", 1) +
                               std::string(password));
}

EhloCapabilities upstream_caps() {
    EhloCapabilities caps;
    caps.pipelining = true;
    caps.eight_bit_mime = true;
    caps.dsn = true;
    caps.enhanced_status_codes = true;
    return caps;
}

TEST(SmtpPreLoginDialogue, GreetsWithItsDomain) {
    SmtpPreLoginDialogue dialogue(options());
    EXPECT_EQ(dialogue.greeting(), "220 bridge.test ESMTP mailbridge\r\n");
}

TEST(SmtpPreLoginDialogue, EhloWaitsForTheUpstreamThenShowsItsExtensions) {
    const std::vector<Step> steps = {
        {"EHLO client.test\r\nNOOP\r\n"},
        {"",
         [](SmtpPreLoginDialogue& d) {
             EXPECT_FALSE(d.wants_input());
             EXPECT_TRUE(d.upstream_offer(upstream_caps()));
             d.resume();
         }},
    };
    auto out = run(steps, 0);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0], "command:EHLO");
    EXPECT_TRUE(out[1].starts_with("reply:250-bridge.test\r\n")) << out[1];
    EXPECT_NE(out[1].find("DSN"), std::string::npos);
    EXPECT_NE(out[1].find("AUTH PLAIN LOGIN"), std::string::npos);
    EXPECT_EQ(out[2], "command:NOOP");
    EXPECT_EQ(out[3], "reply:250 2.0.0 OK\r\n");
    expect_every_split(steps, out);
}

TEST(SmtpPreLoginDialogue, UnreachableUpstreamGetsTheBridgesOwnExtensions) {
    SmtpPreLoginDialogue dialogue(options());
    EXPECT_FALSE(dialogue.upstream_offer(std::nullopt));  // no EHLO waits yet
    dialogue.feed("EHLO x\r\n");
    std::vector<std::string> out;
    drain(dialogue, out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_NE(out[1].find("PIPELINING"), std::string::npos);
    EXPECT_EQ(out[1].find("DSN"), std::string::npos);
}

TEST(SmtpPreLoginDialogue, AuthPlainInitialResponseLogsIn) {
    const std::vector<Step> steps = {
        {"", [](SmtpPreLoginDialogue& d) { d.upstream_offer(upstream_caps()); }},
        {"AUTH PLAIN " + plain("alice@example.test", "s3cret") + "\r\nMAIL FROM:<a@b>\r\n"},
    };
    const std::vector<std::string> expected = {"command:AUTH", "login:alice@example.test/s3cret"};
    expect_every_split(steps, expected);
    SmtpPreLoginDialogue dialogue(options());
    dialogue.feed(steps[1].bytes);
    std::vector<std::string> out;
    drain(dialogue, out);
    EXPECT_FALSE(dialogue.wants_input());
    EXPECT_EQ(dialogue.take_pipelined(), "MAIL FROM:<a@b>\r\n");
}

TEST(SmtpPreLoginDialogue, AuthPlainAfterChallengeAndAuthLogin) {
    const std::vector<Step> plain_steps = {{"AUTH PLAIN\r\n" + plain("bob", "pw") + "\r\n"}};
    expect_every_split(plain_steps, {"command:AUTH", "reply:334 \r\n", "login:bob/pw"});
    const std::vector<Step> login_steps = {{"AUTH LOGIN\r\n" + sasl::base64_encode("carol") +
                                            "\r\n" + sasl::base64_encode("pass word") + "\r\n"}};
    expect_every_split(login_steps, {"command:AUTH", "reply:334 VXNlcm5hbWU6\r\n",
                                     "reply:334 UGFzc3dvcmQ6\r\n", "login:carol/pass word"});
}

TEST(SmtpPreLoginDialogue, RefusedLoginAnswersAndGoesOnWithPipelinedInput) {
    const std::vector<Step> steps = {
        {"AUTH PLAIN " + plain("dave", "wrong") + "\r\nNOOP\r\n"},
        {"",
         [](SmtpPreLoginDialogue& d) {
             d.login_refused({.temporary = false,
                              .message = "bad password",
                              .upstream_code = {},
                              .close_connection = false});
         }},
        {"AUTH PLAIN " + plain("dave", "right") + "\r\n"},
        {"",
         [](SmtpPreLoginDialogue& d) {
             d.login_refused({.temporary = true,
                              .message = "upstream down",
                              .upstream_code = {},
                              .close_connection = true});
         }},
        {"NOOP\r\n"},
    };
    expect_every_split(
        steps, {"command:AUTH", "login:dave/wrong", "reply:535 5.7.8 bad password\r\n",
                "command:NOOP", "reply:250 2.0.0 OK\r\n", "command:AUTH", "login:dave/right",
                "reply:454 4.7.0 upstream down\r\n",
                "close:421 4.7.0 mailbridge: too many failed logins on this "
                "connection\r\n"});
}

TEST(SmtpPreLoginDialogue, StartTlsDropsWhatFollowedItAndRefusesAuthBefore) {
    const std::vector<Step> steps = {
        {"AUTH PLAIN " + plain("eve", "x") + "\r\nSTARTTLS\r\nAUTH PLAIN injected\r\n"},
        {"",
         [](SmtpPreLoginDialogue& d) {
             EXPECT_TRUE(d.wants_input());  // the handshake reads
             d.feed("NOOP\r\n");            // nothing counts before the handshake ends
             d.tls_started();
         }},
        {"STARTTLS\r\nAUTH PLAIN " + plain("eve", "x") + "\r\n"},
    };
    expect_every_split(
        steps,
        {"command:AUTH", "reply:530 5.7.0 Must issue a STARTTLS command first\r\n",
         "command:STARTTLS", "start_tls:220 2.0.0 Ready to start TLS\r\n", "command:STARTTLS",
         "reply:503 5.5.1 TLS is already active\r\n", "command:AUTH", "login:eve/x"},
        /*starttls=*/true);
}

TEST(SmtpPreLoginDialogue, StartTlsUnavailableAnswers454) {
    SmtpPreLoginDialogue dialogue(options(true));
    dialogue.feed("STARTTLS\r\nNOOP\r\n");
    dialogue.tls_unavailable("no certificate");
    dialogue.feed("NOOP\r\n");
    std::vector<std::string> out;
    drain(dialogue, out);
    EXPECT_EQ(out, (std::vector<std::string>{"command:STARTTLS",
                                             "start_tls:220 2.0.0 Ready to start TLS\r\n",
                                             "reply:454 4.7.0 cannot start TLS: no certificate\r\n",
                                             "command:NOOP", "reply:250 2.0.0 OK\r\n"}));
}

TEST(SmtpPreLoginDialogue, MailCommandsNeedAuthAndQuitCloses) {
    const std::vector<Step> steps = {
        {"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nHELO x\r\nQUIT\r\nNOOP\r\n"}};
    expect_every_split(
        steps, {"command:MAIL",
                "reply:530 5.7.0 Authentication required; log in with AUTH PLAIN or AUTH LOGIN\r\n",
                "command:RCPT",
                "reply:530 5.7.0 Authentication required; log in with AUTH PLAIN or AUTH LOGIN\r\n",
                "command:HELO", "reply:250 bridge.test\r\n", "command:QUIT",
                "close:221 2.0.0 mailbridge closing connection\r\n"});
}

TEST(SmtpPreLoginDialogue, HostileInput) {
    // A bare LF, an overlong line, a cancelled exchange, bad base64, an unknown mechanism.
    const std::vector<Step> steps = {
        {"NOOP\nAUTH PLAIN\r\n*\r\nAUTH LOGIN\r\n!!!\r\nAUTH CRAM-MD5\r\n"}};
    auto out = run(steps, 0);
    ASSERT_GE(out.size(), 6u);
    EXPECT_TRUE(out[0].starts_with("reply:5")) << out[0];
    EXPECT_NE(std::find(out.begin(), out.end(), "reply:501 5.0.0 AUTH cancelled\r\n"), out.end());
    EXPECT_TRUE(out.back().starts_with("reply:504 5.5.4")) << out.back();
    expect_every_split(steps, out);

    SmtpPreLoginDialogue dialogue(options());
    dialogue.feed(std::string(3000, 'A') + "\r\nNOOP\r\n");
    std::vector<std::string> long_line;
    drain(dialogue, long_line);
    ASSERT_EQ(long_line.size(), 3u);
    EXPECT_TRUE(long_line[0].starts_with("reply:500")) << long_line[0];
    EXPECT_EQ(long_line[2], "reply:250 2.0.0 OK\r\n");
}

TEST(SmtpPreLoginDialogue, TooMuchInputWhileWaitingCloses) {
    SmtpPreLoginDialogue dialogue(options());
    dialogue.feed("EHLO x\r\n");  // waits for the upstream: input piles up
    for (int i = 0; i < 10; ++i) dialogue.feed(std::string(500, 'N') + "\r\n");
    std::vector<std::string> out;
    drain(dialogue, out);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(
        out.back(),
        "close:421 4.7.0 mailbridge: too much input before login; closing the connection\r\n");
    dialogue.feed("NOOP\r\n");  // closed: ignored
    EXPECT_FALSE(dialogue.next_action());
    EXPECT_FALSE(dialogue.wants_input());
}

}  // namespace
}  // namespace mb::protocol::smtp
