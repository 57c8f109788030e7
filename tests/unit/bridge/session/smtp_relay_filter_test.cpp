// Tests for SmtpRelayFilter: command/body framing, reply pairing, local answers, smuggling
// defence, holding and the goodbyes; every scenario also fed one byte at a time and split at
// every boundary.
#include "bridge/session/smtp_relay_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mb::session {
namespace {

// Drives one filter like the Relay does and records what each side received.
struct Harness {
    std::string to_client;    // everything the client got, in order
    std::string to_upstream;  // everything the upstream got, in order
    bool aborted = false;
    std::size_t client_queued = 0;
    std::shared_ptr<SmtpRelayFilter> filter;

    explicit Harness(SmtpRelayFilter::Options options = {.domain = "bridge.test"}) {
        filter = std::make_shared<SmtpRelayFilter>(
            SmtpRelayFilter::Io{
                .write_client = [this](std::string_view b) { to_client.append(b); },
                .write_upstream = [this](std::string_view b) { to_upstream.append(b); },
                .client_queued_bytes = [this] { return client_queued; },
                .abort_upstream = [this] { aborted = true; },
            },
            std::move(options));
    }
    void client(std::string_view bytes) {
        std::string out;
        filter->from_client(bytes, out);
        if (!aborted) to_upstream.append(out);
    }
    void upstream(std::string_view bytes) {
        std::string out;
        filter->from_upstream(bytes, out);
        to_client.append(out);
    }
    // Feeds `bytes` in pieces of `step` (0 = whole).
    void client_in(std::string_view bytes, std::size_t step) {
        if (step == 0) return client(bytes);
        for (std::size_t i = 0; i < bytes.size(); i += step) client(bytes.substr(i, step));
    }
    void upstream_in(std::string_view bytes, std::size_t step) {
        if (step == 0) return upstream(bytes);
        for (std::size_t i = 0; i < bytes.size(); i += step) upstream(bytes.substr(i, step));
    }
};

constexpr std::string_view kEnvelope = "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n";
constexpr std::string_view kBody =
    "Subject: hi\r\n\r\nMAIL FROM:<evil@example.com>\r\n..stuffed\r\n\xe4\xf6 8-bit\r\n.\r\n";

TEST(SmtpRelayFilter, OneTransactionGoesThroughByteExact) {
    for (std::size_t step : {0, 1, 2, 3, 7}) {
        Harness h;
        h.client_in(std::string(kEnvelope) + "DATA\r\n", step);
        EXPECT_EQ(h.to_upstream, std::string(kEnvelope) + "DATA\r\n");
        h.upstream_in("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n", step);
        EXPECT_EQ(h.to_client, "250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n");
        h.client_in(kBody, step);
        // The body line "MAIL FROM" is body, not a command: it goes out once, inside the body.
        EXPECT_EQ(h.to_upstream, std::string(kEnvelope) + "DATA\r\n" + std::string(kBody));
        h.upstream_in("250 2.0.0 queued as X\r\n", step);
        EXPECT_EQ(h.to_client,
                  "250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n250 2.0.0 queued as X\r\n");
        EXPECT_EQ(h.filter->counters().messages_accepted, 1u);
        EXPECT_FALSE(h.aborted);
        EXPECT_EQ(h.filter->goodbye_on_upstream_close().substr(0, 9), "421 4.4.2");
        EXPECT_EQ(h.filter->goodbye_on_upstream_close().find("during"), std::string::npos);
    }
}

// Where a vanished client's session may be ended upstream with QUIT: between commands only,
// never inside a body (QUIT would become message text) or a partial command line.
TEST(SmtpRelayFilter, CommandBoundaryForAPoliteQuit) {
    Harness h;
    EXPECT_TRUE(h.filter->at_command_boundary());
    h.client("MAIL FROM:<a@exa");
    EXPECT_FALSE(h.filter->at_command_boundary());
    h.client("mple.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    EXPECT_TRUE(h.filter->at_command_boundary());
    h.upstream("250 a\r\n250 b\r\n354 c\r\n");
    h.client("Subject: hi\r\n\r\nhalf a body");
    EXPECT_FALSE(h.filter->at_command_boundary());
    h.client("\r\n.\r\n");
    EXPECT_TRUE(h.filter->at_command_boundary());
}

TEST(SmtpRelayFilter, EverySplitOfTheClientStreamGivesTheSameResult) {
    const std::string stream = std::string(kEnvelope) + "DATA\r\n";
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        Harness h;
        h.client(std::string_view(stream).substr(0, cut));
        h.client(std::string_view(stream).substr(cut));
        EXPECT_EQ(h.to_upstream, stream) << cut;
        h.upstream("250 a\r\n250 b\r\n354 c\r\n");
        const std::string body(kBody);
        for (std::size_t cut2 = 0; cut2 <= body.size(); cut2 += 5) {
            Harness g;
            g.client(stream);
            g.upstream("250 a\r\n250 b\r\n354 c\r\n");
            g.client(std::string_view(body).substr(0, cut2));
            g.client(std::string_view(body).substr(cut2));
            g.client("QUIT\r\n");
            EXPECT_EQ(g.to_upstream, stream + body + "QUIT\r\n") << cut2;
        }
    }
}

TEST(SmtpRelayFilter, BodyPipelinedBeforeThe354IsHeldThenSentAsBody) {
    for (std::size_t step : {0, 1, 4}) {
        Harness h;
        h.client_in(std::string(kEnvelope) + "DATA\r\n" + std::string(kBody), step);
        EXPECT_EQ(h.to_upstream, std::string(kEnvelope) + "DATA\r\n");
        h.upstream_in("250 ok\r\n250 ok\r\n354 go\r\n", step);
        EXPECT_EQ(h.to_upstream, std::string(kEnvelope) + "DATA\r\n" + std::string(kBody));
        h.upstream("250 done\r\n");
        EXPECT_EQ(h.filter->counters().messages_accepted, 1u);
    }
}

TEST(SmtpRelayFilter, HeldInputAfterARefusedDataIsReadAsCommands) {
    Harness h;
    h.client("DATA\r\nNOOP\r\n");
    EXPECT_EQ(h.to_upstream, "DATA\r\n");
    h.upstream("503 5.5.1 need RCPT\r\n");
    EXPECT_EQ(h.to_upstream, "DATA\r\nNOOP\r\n");
    h.upstream("250 ok\r\n");
    EXPECT_EQ(h.to_client, "503 5.5.1 need RCPT\r\n250 ok\r\n");
}

TEST(SmtpRelayFilter, BareLineFeedInABodyDropsTheUpstreamBeforeTheEndOfData) {
    for (const char* evil : {"Subject: x\r\n\r\nline\n.\r\nMAIL FROM:<x>\r\n",
                             "Subject: x\r\n\r\nline\r.\r\nMAIL FROM:<x>\r\n"}) {
        for (std::size_t step : {0, 1}) {
            Harness h;
            h.client("DATA\r\n");
            h.upstream("354 go\r\n");
            h.client_in(evil, step);
            EXPECT_TRUE(h.aborted);
            // At most the bytes before the bare LF/CR went out (none of an aborted chunk).
            const std::string sent = h.to_upstream;
            EXPECT_TRUE(std::string("DATA\r\nSubject: x\r\n\r\nline\r").starts_with(sent)) << sent;
            EXPECT_TRUE(sent.starts_with("DATA\r\n"));
            h.client("RSET\r\n");  // ignored once aborted
            EXPECT_EQ(h.to_upstream, sent);
            std::string goodbye = h.filter->goodbye_on_upstream_close();
            EXPECT_EQ(goodbye.substr(0, 9), "554 5.6.0");
            EXPECT_NE(goodbye.find("\r\n421 "), std::string::npos);
            EXPECT_EQ(h.to_client, "354 go\r\n");
        }
    }
}

TEST(SmtpRelayFilter, UpstreamCloseDuringTheTransactionIsA421NeverA2xx) {
    Harness h;
    h.client(std::string(kEnvelope) + "DATA\r\n");
    h.upstream("250 ok\r\n250 ok\r\n354 go\r\n");
    h.client("Subject: half a message\r\n");
    std::string goodbye = h.filter->goodbye_on_upstream_close();
    EXPECT_EQ(goodbye,
              "421 4.4.2 mailbridge: upstream closed the connection during the transaction; "
              "message not accepted\r\n");
    // Also with the whole body sent but the final reply missing, or cut in the middle.
    Harness g;
    g.client(std::string(kEnvelope) + "DATA\r\n");
    g.upstream("250 ok\r\n250 ok\r\n354 go\r\n");
    g.client(kBody);
    g.upstream("250 2.0.0 queu");
    EXPECT_EQ(g.to_client, "250 ok\r\n250 ok\r\n354 go\r\n");
    EXPECT_NE(g.filter->goodbye_on_upstream_close().find("message not accepted"),
              std::string::npos);
    // A multi-line reply is passed only when complete.
    Harness m;
    m.client("NOOP\r\n");
    m.upstream("250-first\r\n");
    EXPECT_EQ(m.to_client, "");
    m.upstream("250 last\r\n");
    EXPECT_EQ(m.to_client, "250-first\r\n250 last\r\n");
}

TEST(SmtpRelayFilter, GoodbyeAfterQuitOrTheUpstreams421IsEmpty) {
    Harness h;
    h.client("QUIT\r\n");
    h.upstream("221 2.0.0 bye\r\n");
    EXPECT_EQ(h.filter->goodbye_on_upstream_close(), "");
    Harness g;
    g.upstream("421 4.3.2 shutting down\r\n");
    EXPECT_EQ(g.to_client, "421 4.3.2 shutting down\r\n");
    EXPECT_EQ(g.filter->goodbye_on_upstream_close(), "");
    Harness idle;
    EXPECT_EQ(idle.filter->goodbye_on_upstream_close(),
              "421 4.4.2 mailbridge: the upstream server closed the connection\r\n");
}

TEST(SmtpRelayFilter, EhloAnswerIsRewrittenToWhatTheBridgeRelays) {
    for (std::size_t step : {0, 1}) {
        Harness h;
        h.client("EHLO client.test\r\n");
        h.upstream_in(
            "250-upstream.test Hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-CHUNKING\r\n"
            "250-STARTTLS\r\n250-AUTH PLAIN XOAUTH2\r\n250-BINARYMIME\r\n250 8BITMIME\r\n",
            step);
        EXPECT_EQ(h.to_client,
                  "250-bridge.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n");
    }
    Harness refused;
    refused.client("EHLO x\r\n");
    refused.upstream("501 5.5.4 bad\r\n");
    EXPECT_EQ(refused.to_client, "501 5.5.4 bad\r\n");
}

TEST(SmtpRelayFilter, LocalAnswersKeepTheirPlaceAmongUpstreamReplies) {
    Harness h;
    h.client("MAIL FROM:<a@b>\r\nAUTH PLAIN AGEAYg==\r\nSTARTTLS\r\nNOOP\r\n");
    EXPECT_EQ(h.to_upstream, "MAIL FROM:<a@b>\r\nNOOP\r\n");
    EXPECT_EQ(h.to_client, "");
    h.upstream("250 2.1.0 ok\r\n");
    EXPECT_EQ(h.to_client,
              "250 2.1.0 ok\r\n503 5.5.1 mailbridge: already authenticated\r\n"
              "503 5.5.1 mailbridge: STARTTLS is not possible after authentication\r\n");
    h.upstream("250 2.0.0 noop\r\n");
    EXPECT_TRUE(h.to_client.ends_with("250 2.0.0 noop\r\n"));
}

TEST(SmtpRelayFilter, BdatIsRefusedLocallyAndItsChunkSkipped) {
    for (std::size_t step : {0, 1, 3}) {
        Harness h;
        h.client_in("BDAT 14 LAST\r\nMAIL FROM:<>\r\nNOOP\r\n", step);
        EXPECT_EQ(h.to_upstream, "NOOP\r\n");
        EXPECT_EQ(h.to_client.substr(0, 10), "502 5.5.1 ");
        EXPECT_NE(h.to_client.find("with DATA"), std::string::npos);
    }
}

TEST(SmtpRelayFilter, HostileCommandLinesGetClearErrorsAndTheStreamGoesOn) {
    using namespace std::string_literals;
    for (std::size_t step : {0, 1}) {
        Harness h;
        h.client_in("NOOP\nRSET\r\nNO\0OP\r\n"s + std::string(5000, 'X') + "\r\nNOOP\r\n", step);
        EXPECT_EQ(h.to_upstream, "RSET\r\nNOOP\r\n");
        h.upstream("250 rset\r\n250 noop\r\n");
        const std::string& c = h.to_client;
        std::size_t bare = c.find("500 5.5.2 Bare LF");
        std::size_t rset = c.find("250 rset");
        std::size_t nul = c.find("500 5.5.2 Command contains a NUL");
        std::size_t longline = c.find("500 5.5.2 Line too long");
        std::size_t noop = c.find("250 noop");
        ASSERT_NE(bare, std::string::npos) << c;
        ASSERT_NE(nul, std::string::npos) << c;
        ASSERT_NE(longline, std::string::npos) << c;
        EXPECT_LT(bare, rset);
        EXPECT_LT(rset, nul);
        EXPECT_LT(nul, longline);
        EXPECT_LT(longline, noop);
        EXPECT_FALSE(h.aborted);
    }
}

TEST(SmtpRelayFilter, TenThousandPipelinedCommandsAreForwardedAsRepliesArrive) {
    Harness h;
    std::string commands;
    for (int i = 0; i < 10000; ++i) commands += "NOOP\r\n";
    h.client(commands);
    // Only as many as may await replies are out; the rest waits, bounded.
    EXPECT_EQ(h.to_upstream.size(), 1024u * 6);
    std::size_t answered = 0;
    while (answered < 10000) {
        std::size_t sent = h.to_upstream.size() / 6;
        ASSERT_GT(sent, answered);
        std::string replies;
        for (; answered < sent; ++answered) replies += "250 2.0.0 ok\r\n";
        h.upstream(replies);
    }
    EXPECT_EQ(h.to_upstream, commands);
    EXPECT_EQ(h.to_client.size(), 10000u * 14);
    EXPECT_FALSE(h.aborted);
}

TEST(SmtpRelayFilter, TooMuchHeldInputEndsTheSession) {
    Harness h({.domain = "d", .max_held = 1000});
    h.client("DATA\r\n");
    h.client(std::string(999, 'x'));
    EXPECT_FALSE(h.aborted);
    h.client("xx");
    EXPECT_TRUE(h.aborted);
    EXPECT_EQ(h.to_upstream, "DATA\r\n");
    EXPECT_EQ(h.filter->goodbye_on_upstream_close().substr(0, 9), "421 4.7.0");
}

TEST(SmtpRelayFilter, UnreadLocalRepliesEndTheSession) {
    Harness h;
    h.client_queued = 2 << 20;
    h.client(std::string("FOO\0\r\n", 6));
    EXPECT_TRUE(h.aborted);
    EXPECT_EQ(h.to_client, "");
}

TEST(SmtpRelayFilter, MalformedOrOverlongUpstreamRepliesEndTheSession) {
    for (std::string bad : {std::string("hello\r\n"), std::string("250-a\r\n354 b\r\n"),
                            "250 " + std::string(5000, 'x') + "\r\n"}) {
        Harness h;
        h.client("NOOP\r\n");
        h.upstream(bad);
        EXPECT_TRUE(h.aborted) << bad;
        EXPECT_EQ(h.to_client, "");
        EXPECT_EQ(h.filter->goodbye_on_upstream_close().substr(0, 9), "421 4.4.0");
    }
}

TEST(SmtpRelayFilter, SeveralMessagesInOneSessionEachGetTheirOwnOutcome) {
    Harness h;
    for (int i = 0; i < 3; ++i) {
        h.client(std::string(kEnvelope) + "DATA\r\n");
        h.upstream("250 ok\r\n250 ok\r\n354 go\r\n");
        h.client(kBody);
        h.upstream(i == 1 ? "554 5.6.0 refused\r\n" : "250 2.0.0 queued\r\n");
    }
    EXPECT_EQ(h.filter->counters().messages_accepted, 2u);
    EXPECT_EQ(h.filter->counters().messages_refused, 1u);
    EXPECT_NE(h.to_client.find("554 5.6.0 refused\r\n"), std::string::npos);
}

}  // namespace
}  // namespace mb::session
