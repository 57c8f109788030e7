// Tests for the POP3 command parser: every command the bridge answers before login, passwords
// with spaces, AUTH initial responses, refusals, and hostile lines (NUL, bare CR, 8-bit,
// overlong, 10,000 pipelined commands framed from one buffer).
#include "protocol/pop3/command_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/line_framer.h"
#include "protocol/pop3/limits.h"

namespace mb::protocol::pop3 {
namespace {

Command parsed(std::string_view line) {
    auto result = parse_command(line);
    if (auto* error = std::get_if<CommandError>(&result)) {
        ADD_FAILURE() << "refused: " << line << " -> " << error->reason;
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

TEST(Pop3CommandParser, UserAndPass) {
    Command user = parsed("user alice@example.com");
    EXPECT_EQ(user.kind, CommandKind::User);
    EXPECT_EQ(user.name, "USER");
    EXPECT_EQ(std::get<std::string>(user.arguments), "alice@example.com");
    EXPECT_EQ(std::get<std::string>(parsed("USER  bob  ").arguments), "bob");
    EXPECT_EQ(std::get<std::string>(parsed("USER J\xC3\xBCrgen").arguments), "J\xC3\xBCrgen");

    Command pass = parsed("PASS  correct horse battery staple ");
    EXPECT_EQ(pass.kind, CommandKind::Pass);
    EXPECT_EQ(std::get<Secret>(pass.arguments).reveal(), " correct horse battery staple ");

    EXPECT_EQ(refused("USER").kind, CommandKind::User);
    EXPECT_EQ(refused("USER   ").reason, "USER needs a user name: USER <name>");
    EXPECT_EQ(refused("PASS").reason, "PASS needs a password: PASS <password>");
    EXPECT_EQ(refused("PASS ").kind, CommandKind::Pass);
}

TEST(Pop3CommandParser, Auth) {
    auto mechanism_of = [](const Command& command) {
        return std::get<AuthArguments>(command.arguments).mechanism;
    };
    Command bare = parsed("AUTH");
    EXPECT_EQ(bare.kind, CommandKind::Auth);
    EXPECT_EQ(mechanism_of(bare), "");
    Command plain = parsed("auth plain");
    EXPECT_EQ(mechanism_of(plain), "PLAIN");
    EXPECT_FALSE(std::get<AuthArguments>(plain.arguments).initial_response);
    Command with_ir = parsed("AUTH PLAIN AGFsaWNlAHNlY3JldA==");
    EXPECT_EQ(std::get<AuthArguments>(with_ir.arguments).initial_response->reveal(),
              "AGFsaWNlAHNlY3JldA==");
    EXPECT_FALSE(std::get<AuthArguments>(parsed("AUTH PLAIN ").arguments).initial_response);
    Command empty = parsed("AUTH PLAIN =");
    EXPECT_TRUE(std::get<AuthArguments>(empty.arguments).initial_response->empty());

    for (const char* line : {"AUTH PLAIN a b", "AUTH PL@IN", "AUTH PLAIN not*base64",
                             "AUTH ABCDEFGHIJKLMNOPQRSTU", "AUTH PLAIN  x"})
        EXPECT_EQ(refused(line).kind, CommandKind::Auth) << line;
}

TEST(Pop3CommandParser, CommandsWithoutArguments) {
    EXPECT_EQ(parsed("CAPA").kind, CommandKind::Capa);
    EXPECT_EQ(parsed("stls").kind, CommandKind::Stls);
    EXPECT_EQ(parsed("QUIT ").kind, CommandKind::Quit);
    EXPECT_EQ(parsed("NOOP").kind, CommandKind::Noop);
    EXPECT_EQ(refused("CAPA now").reason, "CAPA takes no arguments");
    EXPECT_EQ(refused("STLS x").kind, CommandKind::Stls);
}

TEST(Pop3CommandParser, OtherCommands) {
    for (const char* line : {"STAT", "LIST 1", "RETR 1", "APOP alice 0123abcd", "uidl"}) {
        Command command = parsed(line);
        EXPECT_EQ(command.kind, CommandKind::Other) << line;
    }
    EXPECT_EQ(parsed("apop x y").name, "APOP");
}

TEST(Pop3CommandParser, HostileLines) {
    EXPECT_EQ(refused("").reason, "Empty command; send a command");
    EXPECT_EQ(refused(" USER x").reason, "Empty command; send a command");
    EXPECT_EQ(refused(std::string("PASS a\0b", 8)).reason, "Command contains a NUL byte");
    EXPECT_EQ(refused("USER a\rPASS b").reason, "Command contains a bare CR");
    EXPECT_EQ(refused("\xC3\x9CSER x").reason, "Unknown command");
    EXPECT_EQ(refused("US3R x").reason, "Unknown command");
    EXPECT_EQ(refused(std::string(17, 'A')).reason, "Unknown command");
}

TEST(Pop3CommandParser, LineLimits) {
    const std::string user = "USER ";
    EXPECT_EQ(parsed(user + std::string(limits::kMaxCommandLine - 2 - user.size(), 'x')).kind,
              CommandKind::User);
    CommandError too_long =
        refused(user + std::string(limits::kMaxCommandLine - 1 - user.size(), 'x'));
    EXPECT_EQ(too_long.reason, line_too_long_error().reason);
    EXPECT_EQ(too_long.response(), "-ERR Line too long; commands are at most 512 bytes\r\n");

    const std::string auth = "AUTH PLAIN ";
    const std::string ir(limits::kMaxAuthLine - 2 - auth.size(), 'A');
    EXPECT_EQ(std::get<AuthArguments>(parsed(auth + ir).arguments).initial_response->reveal(), ir);
    EXPECT_EQ(refused(auth + ir + "A").reason, line_too_long_error().reason);
}

TEST(Pop3CommandParser, ErrorResponseIsOneLine) {
    CommandError error{CommandKind::Other, "bad\r\n+OK injected"};
    EXPECT_EQ(error.response(), "-ERR bad  +OK injected\r\n");
}

TEST(Pop3CommandParser, SaslAnswer) {
    EXPECT_TRUE(parse_sasl_answer("*").cancelled);
    SaslAnswer answer = parse_sasl_answer("AGEAYg==");
    EXPECT_FALSE(answer.cancelled);
    EXPECT_EQ(answer.data.reveal(), "AGEAYg==");
}

TEST(Pop3CommandParser, TenThousandPipelinedCommands) {
    std::string buffer;
    for (int i = 0; i < 10000; ++i)
        buffer += i % 2 ? "NOOP\r\n" : "USER u" + std::to_string(i) + "\n";
    LineFramer framer({limits::kMaxAuthLine, LineFramer::BareLf::Terminates});
    std::string_view rest = buffer;
    int users = 0;
    int noops = 0;
    for (;;) {
        auto outcome = framer.next(rest);
        rest.remove_prefix(outcome.consumed);
        if (outcome.status == LineFramer::Status::NeedMore) break;
        ASSERT_EQ(outcome.status, LineFramer::Status::Line);
        Command command = parsed(outcome.line);
        users += command.kind == CommandKind::User;
        noops += command.kind == CommandKind::Noop;
    }
    EXPECT_EQ(users, 5000);
    EXPECT_EQ(noops, 5000);
}

}  // namespace
}  // namespace mb::protocol::pop3
