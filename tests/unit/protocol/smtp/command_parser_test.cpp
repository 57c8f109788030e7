// Tests for the SMTP command parser: every verb, strict MAIL/RCPT syntax with parameters, AUTH
// initial responses, refusals with their codes, and hostile lines (NUL, bare CR, 8-bit, overlong,
// 10,000 pipelined commands framed from one buffer).
#include "protocol/smtp/command_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/line_framer.h"
#include "protocol/smtp/limits.h"

namespace mb::protocol::smtp {
namespace {

Command parsed(std::string_view line) {
    auto result = parse_command(line);
    if (auto* error = std::get_if<CommandError>(&result)) {
        ADD_FAILURE() << "refused: " << line << " -> " << error->reply();
        return {};
    }
    return std::get<Command>(std::move(result));
}

CommandError refused(std::string_view line) {
    auto result = parse_command(line);
    if (auto* command = std::get_if<Command>(&result)) {
        ADD_FAILURE() << "accepted: " << line << " as " << command->name;
        return {};
    }
    return std::get<CommandError>(result);
}

const PathArguments& path_of(const Command& command) {
    return std::get<PathArguments>(command.arguments);
}

TEST(SmtpCommandParser, HelloCommands) {
    Command ehlo = parsed("EHLO client.example.com");
    EXPECT_EQ(ehlo.kind, CommandKind::Ehlo);
    EXPECT_EQ(std::get<HelloArguments>(ehlo.arguments).domain, "client.example.com");
    Command helo = parsed("helo [192.0.2.1]");
    EXPECT_EQ(helo.kind, CommandKind::Helo);
    EXPECT_EQ(helo.name, "HELO");
    EXPECT_EQ(std::get<HelloArguments>(helo.arguments).domain, "[192.0.2.1]");
    EXPECT_EQ(std::get<HelloArguments>(parsed("EHLO   host  ").arguments).domain, "host");
}

TEST(SmtpCommandParser, HelloRefusals) {
    CommandError missing = refused("EHLO");
    EXPECT_EQ(missing.kind, CommandKind::Ehlo);
    EXPECT_EQ(missing.code, 501);
    EXPECT_EQ(missing.enhanced, "5.5.4");
    EXPECT_NE(missing.text.find("EHLO client.example.com"), std::string::npos);
    EXPECT_EQ(refused("EHLO two words").code, 501);
    EXPECT_EQ(refused("HELO a\x01z").code, 501);
}

TEST(SmtpCommandParser, Auth) {
    Command bare = parsed("AUTH plain");
    auto& auth = std::get<AuthArguments>(bare.arguments);
    EXPECT_EQ(auth.mechanism, "PLAIN");
    EXPECT_FALSE(auth.initial_response);

    Command with_ir = parsed("AUTH PLAIN AGFsaWNlAHNlY3JldA==");
    auto& ir = std::get<AuthArguments>(with_ir.arguments);
    ASSERT_TRUE(ir.initial_response);
    EXPECT_EQ(ir.initial_response->reveal(), "AGFsaWNlAHNlY3JldA==");

    Command empty = parsed("AUTH LOGIN =");
    ASSERT_TRUE(std::get<AuthArguments>(empty.arguments).initial_response);
    EXPECT_TRUE(std::get<AuthArguments>(empty.arguments).initial_response->empty());

    EXPECT_EQ(std::get<AuthArguments>(parsed("AUTH X-OAUTH_2").arguments).mechanism, "X-OAUTH_2");
}

TEST(SmtpCommandParser, AuthRefusals) {
    EXPECT_EQ(refused("AUTH").code, 501);
    EXPECT_EQ(refused("AUTH PLAIN a b").code, 501);
    EXPECT_EQ(refused("AUTH PL@IN").code, 501);
    EXPECT_EQ(refused("AUTH ABCDEFGHIJKLMNOPQRSTU").code, 501);  // 21 characters
    CommandError bad = refused("AUTH PLAIN not*base64");
    EXPECT_EQ(bad.enhanced, "5.5.2");
}

TEST(SmtpCommandParser, MailFrom) {
    Command mail = parsed("MAIL FROM:<alice@example.com>");
    EXPECT_EQ(mail.kind, CommandKind::Mail);
    EXPECT_EQ(path_of(mail).path, "alice@example.com");
    EXPECT_TRUE(path_of(mail).parameters.empty());

    EXPECT_EQ(path_of(parsed("mail from:<>")).path, "");
    EXPECT_EQ(path_of(parsed("MAIL FROM: <bob@example.com>")).path, "bob@example.com");
    EXPECT_EQ(path_of(parsed("MAIL FROM:<@relay.example:bob@example.com>")).path,
              "@relay.example:bob@example.com");
    EXPECT_EQ(path_of(parsed("MAIL FROM:<\"john doe>\"@example.com>")).path,
              "\"john doe>\"@example.com");
    EXPECT_EQ(path_of(parsed("MAIL FROM:<\"a\\\"b\"@example.com>")).path, "\"a\\\"b\"@example.com");
    EXPECT_EQ(path_of(parsed("MAIL FROM:<j\xC3\xBCrgen@example.com> SMTPUTF8")).path,
              "j\xC3\xBCrgen@example.com");
}

TEST(SmtpCommandParser, MailParameters) {
    Command mail =
        parsed("MAIL FROM:<a@b.example> SIZE=1000 body=8BITMIME  SMTPUTF8 RET=HDRS ENVID=x+2By");
    const auto& parameters = path_of(mail).parameters;
    ASSERT_EQ(parameters.size(), 5u);
    EXPECT_EQ(parameters[0], (MailParameter{"SIZE", "1000"}));
    EXPECT_EQ(parameters[1], (MailParameter{"BODY", "8BITMIME"}));
    EXPECT_EQ(parameters[2], (MailParameter{"SMTPUTF8", std::nullopt}));
    EXPECT_EQ(parameters[3], (MailParameter{"RET", "HDRS"}));
    EXPECT_EQ(parameters[4], (MailParameter{"ENVID", "x+2By"}));

    Command rcpt = parsed("RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@x");
    EXPECT_EQ(rcpt.kind, CommandKind::Rcpt);
    EXPECT_EQ(path_of(rcpt).parameters.size(), 2u);
}

TEST(SmtpCommandParser, PathRefusals) {
    EXPECT_EQ(refused("MAIL alice@example.com").text, "Syntax: MAIL FROM:<address> [parameters]");
    EXPECT_EQ(refused("MAIL FROM:").code, 501);
    CommandError no_brackets = refused("MAIL FROM:alice@example.com");
    EXPECT_EQ(no_brackets.enhanced, "5.1.7");
    EXPECT_NE(no_brackets.text.find("angle brackets"), std::string::npos);
    EXPECT_EQ(refused("MAIL FROM:<alice@example.com").enhanced, "5.1.7");
    EXPECT_EQ(refused("MAIL FROM:<ali<ce@example.com>").code, 501);
    EXPECT_EQ(refused("MAIL FROM:<\"unterminated@example.com>").code, 501);
    EXPECT_EQ(refused("MAIL FROM:<a b@example.com>").code, 501);
    EXPECT_EQ(refused("MAIL FROM:<a@b>SIZE=1").code, 501);
    EXPECT_EQ(refused("RCPT TO:<>").enhanced, "5.1.3");
    EXPECT_EQ(refused("RCPT FROM:<a@b>").text, "Syntax: RCPT TO:<address> [parameters]");
    EXPECT_EQ(refused("MAIL FROM:<" + std::string(255, 'a') + ">").code, 501);
    EXPECT_EQ(parsed("MAIL FROM:<" + std::string(254, 'a') + ">").kind, CommandKind::Mail);
}

TEST(SmtpCommandParser, ParameterRefusals) {
    for (const char* line :
         {"MAIL FROM:<a@b> SIZE=", "MAIL FROM:<a@b> =1", "MAIL FROM:<a@b> -X",
          "MAIL FROM:<a@b> SI_ZE=1", "MAIL FROM:<a@b> A=b=c", "MAIL FROM:<a@b> A=\x01"}) {
        CommandError error = refused(line);
        EXPECT_EQ(error.code, 501) << line;
        EXPECT_EQ(error.kind, CommandKind::Mail) << line;
    }
    std::string many = "MAIL FROM:<a@b>";
    for (std::size_t i = 0; i <= limits::kMaxMailParameters; ++i) many += " X" + std::to_string(i);
    EXPECT_EQ(refused(many).text, "Too many parameters");
}

TEST(SmtpCommandParser, CommandsWithoutArguments) {
    EXPECT_EQ(parsed("DATA").kind, CommandKind::Data);
    EXPECT_EQ(parsed("data ").kind, CommandKind::Data);
    EXPECT_EQ(parsed("RSET").kind, CommandKind::Rset);
    EXPECT_EQ(parsed("QUIT").kind, CommandKind::Quit);
    EXPECT_EQ(parsed("StartTLS").kind, CommandKind::StartTls);
    for (const char* line : {"DATA x", "RSET now", "QUIT please", "STARTTLS 1"}) {
        CommandError error = refused(line);
        EXPECT_EQ(error.code, 501) << line;
        EXPECT_NE(error.text.find("takes no arguments"), std::string::npos) << line;
    }
}

TEST(SmtpCommandParser, OptionalAndRequiredArguments) {
    EXPECT_EQ(parsed("NOOP").kind, CommandKind::Noop);
    EXPECT_EQ(std::get<std::string>(parsed("NOOP anything at all").arguments), "anything at all");
    EXPECT_EQ(std::get<std::string>(parsed("HELP DATA").arguments), "DATA");
    EXPECT_EQ(std::get<std::string>(parsed("VRFY alice").arguments), "alice");
    EXPECT_EQ(parsed("EXPN list").kind, CommandKind::Expn);
    EXPECT_EQ(refused("VRFY").code, 501);
    EXPECT_EQ(refused("EXPN").code, 501);
}

TEST(SmtpCommandParser, Bdat) {
    Command bdat = parsed("BDAT 1000 LAST");
    EXPECT_EQ(std::get<BdatArguments>(bdat.arguments).chunk_size, 1000u);
    EXPECT_TRUE(std::get<BdatArguments>(bdat.arguments).last);
    EXPECT_FALSE(std::get<BdatArguments>(parsed("BDAT 0").arguments).last);
    EXPECT_EQ(std::get<BdatArguments>(parsed("BDAT 9999999999999999999").arguments).chunk_size,
              9999999999999999999u);
    for (const char* line : {"BDAT", "BDAT x", "BDAT 1 FIRST", "BDAT 1 LAST more",
                             "BDAT 99999999999999999999", "BDAT -1"})
        EXPECT_EQ(refused(line).code, 501) << line;
}

TEST(SmtpCommandParser, UnknownVerbsParseAsOther) {
    Command other = parsed("XCLIENT ADDR=1.2.3.4");
    EXPECT_EQ(other.kind, CommandKind::Other);
    EXPECT_EQ(other.name, "XCLIENT");
    EXPECT_EQ(parsed("etrn").name, "ETRN");
}

TEST(SmtpCommandParser, HostileLines) {
    EXPECT_EQ(refused("").code, 500);
    EXPECT_EQ(refused("   ").code, 500);
    EXPECT_EQ(refused(std::string("MAIL FROM:<a@b>\0", 16)).text, "Command contains a NUL byte");
    EXPECT_EQ(refused(std::string("\0", 1)).code, 500);
    EXPECT_EQ(refused("RSET\rMAIL FROM:<a@b>").text, "Command contains a bare CR");
    CommandError eight_bit = refused("\xC3\x89HLO x");
    EXPECT_EQ(eight_bit.code, 500);
    EXPECT_EQ(eight_bit.enhanced, "5.5.1");
    EXPECT_EQ(refused("MA1L FROM:<a@b>").enhanced, "5.5.1");
    EXPECT_EQ(refused(std::string(17, 'A')).code, 500);
    EXPECT_EQ(parsed("GET / HTTP/1.1").kind, CommandKind::Other);
}

TEST(SmtpCommandParser, LineLimits) {
    const std::string base = "NOOP ";
    EXPECT_EQ(parsed(base + std::string(limits::kMaxCommandLine - 2 - base.size(), 'x')).kind,
              CommandKind::Noop);
    CommandError too_long =
        refused(base + std::string(limits::kMaxCommandLine - 1 - base.size(), 'x'));
    EXPECT_EQ(too_long.code, 500);
    EXPECT_EQ(too_long.enhanced, "5.5.2");
    EXPECT_EQ(too_long.reply(), line_too_long_error().reply());

    const std::string auth = "AUTH PLAIN ";
    const std::string long_ir(limits::kMaxAuthLine - 2 - auth.size(), 'A');
    EXPECT_EQ(std::get<AuthArguments>(parsed(auth + long_ir).arguments).initial_response->reveal(),
              long_ir);
    EXPECT_EQ(refused(auth + long_ir + "A").code, 500);
}

TEST(SmtpCommandParser, ReplyText) {
    EXPECT_EQ(refused("DATA x").reply(), "501 5.5.4 DATA takes no arguments\r\n");
    EXPECT_EQ(bare_line_feed_error().reply(),
              "500 5.5.2 Bare LF received; lines must end with CRLF\r\n");
}

TEST(SmtpCommandParser, SaslAnswer) {
    EXPECT_TRUE(parse_sasl_answer("*").cancelled);
    SaslAnswer answer = parse_sasl_answer("YWxpY2U=");
    EXPECT_FALSE(answer.cancelled);
    EXPECT_EQ(answer.data.reveal(), "YWxpY2U=");
    EXPECT_TRUE(parse_sasl_answer("").data.empty());
}

// A pipelining client's whole transaction batch arrives in one read: 10,000 commands framed by a
// LineFramer (bare LF rejected) and parsed one by one.
TEST(SmtpCommandParser, TenThousandPipelinedCommands) {
    std::string buffer;
    for (int i = 0; i < 10000; ++i)
        buffer += i % 2 == 0 ? "RCPT TO:<user" + std::to_string(i) + "@example.com>\r\n"
                             : std::string("NOOP\r\n");
    LineFramer framer({limits::kMaxAuthLine, LineFramer::BareLf::Rejected});
    std::string_view rest = buffer;
    int rcpt = 0;
    int noop = 0;
    for (;;) {
        auto outcome = framer.next(rest);
        rest.remove_prefix(outcome.consumed);
        if (outcome.status == LineFramer::Status::NeedMore) break;
        ASSERT_EQ(outcome.status, LineFramer::Status::Line);
        Command command = parsed(outcome.line);
        if (command.kind == CommandKind::Rcpt) ++rcpt;
        if (command.kind == CommandKind::Noop) ++noop;
    }
    EXPECT_EQ(rcpt, 5000);
    EXPECT_EQ(noop, 5000);
}

// The smuggling defence: a bare LF inside a command line never reaches the parser as a line end.
TEST(SmtpCommandParser, BareLineFeedIsRejectedByTheFramer) {
    LineFramer framer({limits::kMaxAuthLine, LineFramer::BareLf::Rejected});
    std::string_view input = "RSET\nMAIL FROM:<a@b>\r\n";
    auto first = framer.next(input);
    EXPECT_EQ(first.status, LineFramer::Status::BareLineFeed);
    auto second = framer.next(input.substr(first.consumed));
    ASSERT_EQ(second.status, LineFramer::Status::Line);
    EXPECT_EQ(parsed(second.line).kind, CommandKind::Mail);
}

}  // namespace
}  // namespace mb::protocol::smtp
