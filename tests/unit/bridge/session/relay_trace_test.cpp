// Tests for the relayed-session traces: what each protocol's trace logs (lines, body sizes,
// masked credentials) and that the observing filter forwards bytes unchanged.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>

#include "bridge/session/imap_relay_trace.h"
#include "bridge/session/imap_response_filter.h"
#include "bridge/session/pop3_relay_trace.h"
#include "bridge/session/relay_trace.h"
#include "bridge/session/smtp_relay_trace.h"

namespace mb::session {
namespace {

// Captures trace lines as "C: …" / "S: …" for the test's duration.
class RelayTraceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        previous_ = spdlog::default_logger();
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        sink->set_pattern("%v");
        auto logger = std::make_shared<spdlog::logger>("relay-trace-test", sink);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    void TearDown() override { spdlog::set_default_logger(previous_); }

    // The log without the "srv 127.0.0.1:5 " that starts each line.
    std::string log() const {
        std::string text = out_.str();
        const std::string prefix = "srv 127.0.0.1:5 ";
        for (std::size_t at = 0; (at = text.find(prefix, at)) != std::string::npos;)
            text.erase(at, prefix.size());
        return text;
    }
    std::string raw_log() const { return out_.str(); }
    static RelayTraceLog trace_log() { return RelayTraceLog("srv", "127.0.0.1:5"); }

    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

void feed_bytewise(const std::function<void(std::string_view)>& feed, std::string_view bytes) {
    for (char c : bytes) feed(std::string_view(&c, 1));
}

TEST_F(RelayTraceTest, EnabledFollowsTheLogLevel) {
    EXPECT_TRUE(relay_trace_enabled());
    spdlog::default_logger()->set_level(spdlog::level::debug);
    EXPECT_FALSE(relay_trace_enabled());
}

TEST_F(RelayTraceTest, ObservedFilterForwardsBytesUnchanged) {
    std::string seen;
    auto filter = observed_filter({}, [&](std::string_view in) { seen.append(in); });
    const std::string chunk = "a1 NOOP\r\n";
    RelayOutput out;
    out.reset(chunk);
    filter(chunk, out);
    EXPECT_EQ(out.str(), "a1 NOOP\r\n");
    ASSERT_EQ(out.pieces().size(), 1u);
    EXPECT_EQ(out.pieces()[0].data(), chunk.data());  // passed through, not copied
    EXPECT_EQ(seen, "a1 NOOP\r\n");
    auto upper = observed_filter(
        [](std::string_view in, RelayOutput& o) {
            o.append(in);
            o.append("!");
        },
        [](std::string_view) {});
    out.reset("x");
    upper("x", out);
    EXPECT_EQ(out.str(), "x!");
}

TEST_F(RelayTraceTest, ImapLinesLiteralSizesAndMaskedCredentials) {
    ImapRelayTrace trace(trace_log());
    feed_bytewise([&](std::string_view b) { trace.client_bytes(b); },
                  "a1 SELECT INBOX\r\n"
                  "a2 LOGIN {4}\r\nuser pass-word-1\r\n"
                  "a3 APPEND INBOX {11+}\r\nsecret-body\r\n"
                  "a4 AUTHENTICATE PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n");
    const std::string log = this->log();
    EXPECT_NE(raw_log().find("srv 127.0.0.1:5 C: a1 SELECT INBOX\n"), std::string::npos) << log;
    EXPECT_NE(log.find("C: a2 LOGIN ***\nC: ***\nC: ***\n"), std::string::npos) << log;
    EXPECT_NE(log.find("C: a3 APPEND INBOX {11+}\nC: {11 bytes}\n"), std::string::npos) << log;
    EXPECT_NE(log.find("C: a4 AUTHENTICATE PLAIN\nC: ***\n"), std::string::npos) << log;
    for (const char* secret : {"pass-word-1", "secret-body", "AGFsaWNl", "user"})
        EXPECT_EQ(log.find(secret), std::string::npos) << secret;

    // The server ends the SASL exchange: the client's next line is a command again.
    ImapResponseFilter responses({});
    responses.observe([&](const protocol::imap::StreamEvent& e) { trace.upstream_event(e); });
    std::string out;
    const std::string upstream = "a4 NO failed\r\n* 1 FETCH (BODY[] {9}\r\nmail-body)\r\n";
    feed_bytewise([&](std::string_view b) { responses(b, out); }, upstream);
    EXPECT_EQ(out, upstream);
    trace.client_bytes("a5 NOOP\r\n");
    const std::string after = this->log();
    EXPECT_NE(after.find("S: a4 NO failed\nS: * 1 FETCH (BODY[] {9}\nS: {9 bytes}\nS: )\n"),
              std::string::npos)
        << after;
    EXPECT_NE(after.find("C: a5 NOOP\n"), std::string::npos) << after;
    EXPECT_EQ(after.find("mail-body"), std::string::npos);
}

TEST_F(RelayTraceTest, ImapRefusedSyncLiteralDoesNotSwallowTheNextCommand) {
    ImapRelayTrace trace(trace_log());
    ImapResponseFilter responses({});
    responses.observe([&](const protocol::imap::StreamEvent& e) { trace.upstream_event(e); });
    trace.client_bytes("b1 APPEND INBOX {99999}\r\n");
    std::string out;
    responses("b1 NO too big\r\n", out);
    trace.client_bytes("b2 NOOP\r\n");
    EXPECT_NE(log().find("C: b2 NOOP\n"), std::string::npos) << log();
}

TEST_F(RelayTraceTest, Pop3StatusLinesAndBodySizes) {
    Pop3RelayTrace trace(trace_log());
    trace.client_bytes("PASS not-shown\r\nRETR 1\r\nSTAT\r\n");
    feed_bytewise([&](std::string_view b) { trace.upstream_bytes(b); },
                  "-ERR already logged in\r\n+OK 20 octets\r\nmessage-body-text\r\n.\r\n+OK 1 "
                  "20\r\n");
    const std::string log = this->log();
    EXPECT_NE(log.find("C: PASS ***\nC: RETR 1\nC: STAT\n"), std::string::npos) << log;
    EXPECT_NE(log.find("S: -ERR already logged in\nS: +OK 20 octets\nS: {22 bytes}\nS: +OK 1 20\n"),
              std::string::npos)
        << log;
    EXPECT_EQ(log.find("not-shown"), std::string::npos);
    EXPECT_EQ(log.find("message-body-text"), std::string::npos);
}

TEST_F(RelayTraceTest, SmtpCommandsRepliesAndBodySizes) {
    SmtpRelayTrace trace(trace_log());
    trace.client_bytes("MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n");
    trace.upstream_bytes("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n");
    feed_bytewise([&](std::string_view b) { trace.client_bytes(b); },
                  "Subject: s\r\n\r\nsmtp-body\r\n.\r\nBDAT 5 LAST\r\nchunkAUTH PLAIN AGFs\r\n");
    const std::string log = this->log();
    EXPECT_NE(log.find("C: DATA\n"), std::string::npos) << log;
    EXPECT_NE(
        log.find("S: 354 go\nC: {28 bytes}\nC: BDAT 5 LAST\nC: {5 bytes}\nC: AUTH PLAIN ***\n"),
        std::string::npos)
        << log;
    EXPECT_EQ(log.find("smtp-body"), std::string::npos);
    EXPECT_EQ(log.find("chunk"), std::string::npos);
}

TEST_F(RelayTraceTest, SmtpRefusedDataLeavesTheNextCommandACommand) {
    SmtpRelayTrace trace(trace_log());
    trace.client_bytes("DATA\r\n");
    trace.upstream_bytes("554 5.5.1 no valid recipients\r\n");
    trace.client_bytes("RSET\r\n");
    EXPECT_NE(log().find("C: RSET\n"), std::string::npos) << log();
}

}  // namespace
}  // namespace mb::session
