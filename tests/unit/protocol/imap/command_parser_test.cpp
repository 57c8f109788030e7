// Tests for the pre-login IMAP command parser: every command it knows, every argument form, and
// hostile inputs (bad tags, escapes, literal sizes, nesting, argument counts). A last test runs
// commands through StreamFramer split at every boundary, as the session will, before parsing.
// The MailboxCommands tests cover the reader of SELECT/EXAMINE/RENAME/DELETE the cache uses.
#include "protocol/imap/command_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/imap/stream_framer.h"
#include "protocol/limits.h"

namespace mb::protocol::imap {
namespace {

using namespace std::string_literals;

Command parsed(std::string_view input) {
    auto result = parse_command(input);
    if (auto* error = std::get_if<CommandError>(&result)) {
        ADD_FAILURE() << "parse failed for [" << input << "]: " << error->reason;
        return {};
    }
    return std::get<Command>(std::move(result));
}

CommandError failed(std::string_view input) {
    auto result = parse_command(input);
    if (auto* error = std::get_if<CommandError>(&result)) return *error;
    ADD_FAILURE() << "parse succeeded for [" << input << "]";
    return {};
}

const LoginArguments& login(const Command& command) {
    return std::get<LoginArguments>(command.arguments);
}

TEST(ImapCommandParser, SimpleCommandsAnyCase) {
    EXPECT_EQ(parsed("a1 CAPABILITY\r\n").kind, CommandKind::Capability);
    EXPECT_EQ(parsed("a2 noop\r\n").kind, CommandKind::Noop);
    EXPECT_EQ(parsed("A3 LogOut\r\n").kind, CommandKind::Logout);
    EXPECT_EQ(parsed("x.4 starttls\n").kind, CommandKind::StartTls);
    Command command = parsed("a1 noop\r\n");
    EXPECT_EQ(command.tag, "a1");
    EXPECT_EQ(command.name, "NOOP");
    EXPECT_TRUE(std::holds_alternative<std::monostate>(command.arguments));
}

TEST(ImapCommandParser, SimpleCommandsRefuseArguments) {
    CommandError error = failed("a1 CAPABILITY now\r\n");
    EXPECT_EQ(error.tag, "a1");
    EXPECT_EQ(error.reason, "CAPABILITY takes no arguments");
    EXPECT_EQ(failed("a1 LOGOUT (x)\r\n").tag, "a1");
}

TEST(ImapCommandParser, TrailingSpacesAndRepeatedSpacesAreTolerated) {
    EXPECT_EQ(parsed("a1 NOOP \r\n").kind, CommandKind::Noop);
    Command command = parsed("a1 LOGIN  alice   secret \r\n");
    EXPECT_EQ(login(command).user, "alice");
    EXPECT_EQ(login(command).password.reveal(), "secret");
}

TEST(ImapCommandParser, LoginWithAtomsQuotedStringsAndLiterals) {
    Command command = parsed("a1 LOGIN alice@example.com p4ss]word\r\n");
    EXPECT_EQ(command.kind, CommandKind::Login);
    EXPECT_EQ(login(command).user, "alice@example.com");
    EXPECT_EQ(login(command).password.reveal(), "p4ss]word");

    command = parsed(R"(a1 LOGIN "al \"the\" ice" "back\\slash ( ) { }")"
                     "\r\n");
    EXPECT_EQ(login(command).user, "al \"the\" ice");
    EXPECT_EQ(login(command).password.reveal(), "back\\slash ( ) { }");

    command = parsed("a1 LOGIN {5}\r\nalice {8+}\r\nse\"c\r\nt!\r\n");
    EXPECT_EQ(login(command).user, "alice");
    EXPECT_EQ(login(command).password.reveal(), "se\"c\r\nt!");

    command = parsed("a1 LOGIN NIL \"\"\r\n");
    EXPECT_EQ(login(command).user, "NIL");
    EXPECT_EQ(login(command).password.reveal(), "");

    command = parsed("a1 LOGIN \"j\xc3\xb6rg\" {0}\r\n\r\n");
    EXPECT_EQ(login(command).user, "j\xc3\xb6rg");
}

TEST(ImapCommandParser, LoginArgumentShapeErrors) {
    EXPECT_EQ(failed("a1 LOGIN alice\r\n").reason, "LOGIN expects a user name and a password");
    EXPECT_EQ(failed("a1 LOGIN a b c\r\n").reason, "LOGIN expects a user name and a password");
    EXPECT_EQ(failed("a1 LOGIN (a) b\r\n").reason, "LOGIN expects a user name and a password");
    EXPECT_EQ(failed("a1 LOGIN\r\n").tag, "a1");
}

TEST(ImapCommandParser, QuotedStringErrors) {
    EXPECT_NE(failed("a1 LOGIN \"alice\r\n").reason.find("CR, LF or NUL"), std::string::npos);
    EXPECT_NE(failed("a1 LOGIN \"al\\nice\" x\r\n").reason.find("invalid escape"),
              std::string::npos);
    EXPECT_NE(failed(std::string("a1 LOGIN \"a\0b\" x\r\n", 19)).reason.find("CR, LF or NUL"),
              std::string::npos);
    EXPECT_NE(failed("a1 LOGIN \"a\" \"b\\\r\n").reason.find("invalid escape"), std::string::npos);
    EXPECT_EQ(failed("a1 LOGIN {5}\r\nali\r\n").reason,
              "LOGIN: command ends early; expected a space");
    EXPECT_EQ(failed("a1 LOGIN \"a\"\"b\"\r\n").reason,
              "LOGIN: unexpected character at offset 12; expected a space");
}

TEST(ImapCommandParser, LiteralErrors) {
    EXPECT_NE(failed("a1 LOGIN {9}\r\nali\r\n").reason.find("shorter than announced"),
              std::string::npos);
    EXPECT_NE(failed("a1 LOGIN {5}x\r\nalice b\r\n").reason.find("must end the line"),
              std::string::npos);
    EXPECT_NE(failed("a1 LOGIN {}\r\n").reason.find("malformed literal size"), std::string::npos);
    EXPECT_NE(failed("a1 LOGIN {5++}\r\nalice b\r\n").reason.find("malformed literal size"),
              std::string::npos);
    EXPECT_NE(failed("a1 LOGIN {99999999999999999999999}\r\n").reason.find("malformed"),
              std::string::npos);
    const std::string too_big = std::to_string(limits::kMaxPreAuthLiteral + 1);
    EXPECT_NE(failed("a1 LOGIN {" + too_big + "}\r\n").reason.find("limit before login"),
              std::string::npos);
    EXPECT_NE(failed("a1 LOGIN ~{1}\r\na b\r\n").reason.find("binary literals"), std::string::npos);
    EXPECT_NE(failed(std::string("a1 LOGIN {3}\r\na\0b c\r\n", 20)).reason.find("NUL"),
              std::string::npos);
}

TEST(ImapCommandParser, TagErrorsAnswerUntagged) {
    EXPECT_EQ(failed("+a NOOP\r\n").tag, "");
    EXPECT_EQ(failed("a+b NOOP\r\n").tag, "");
    EXPECT_EQ(failed("* NOOP\r\n").tag, "");
    EXPECT_EQ(failed("a%1 NOOP\r\n").tag, "");
    EXPECT_EQ(failed("a\"1 NOOP\r\n").tag, "");
    EXPECT_EQ(failed("t\xc3\xa4g NOOP\r\n").tag, "");
    EXPECT_EQ(failed(" NOOP\r\n").tag, "");
    EXPECT_EQ(failed("\r\n").tag, "");
    EXPECT_EQ(failed("").reason, "command does not end with CRLF");
    EXPECT_EQ(failed("a1 NOOP").reason, "command does not end with CRLF");
    EXPECT_EQ(failed(std::string(limits::kMaxTagLength + 1, 'a') + " NOOP\r\n").tag, "");
    EXPECT_EQ(parsed(std::string(limits::kMaxTagLength, 'a') + " NOOP\r\n").kind,
              CommandKind::Noop);
    EXPECT_EQ(parsed("a]1 NOOP\r\n").tag, "a]1");
}

TEST(ImapCommandParser, TaggedErrorsKeepTheTag) {
    CommandError error = failed("a1\r\n");
    EXPECT_EQ(error.tag, "a1");
    EXPECT_EQ(error.reason, "missing command name");
    EXPECT_EQ(failed("a1 (NOOP)\r\n").tag, "a1");
    error = failed("a1 NOOP\r\nextra");
    EXPECT_EQ(error.tag, "a1");
    EXPECT_EQ(error.reason, "NOOP: bytes follow the end of the command line");
    EXPECT_EQ(failed("a1 NOOP\rX\r\n").tag, "a1");
}

TEST(ImapCommandParser, Authenticate) {
    Command command = parsed("a1 authenticate plain\r\n");
    ASSERT_EQ(command.kind, CommandKind::Authenticate);
    auto& auth = std::get<AuthenticateArguments>(command.arguments);
    EXPECT_EQ(auth.mechanism, "PLAIN");
    EXPECT_FALSE(auth.initial_response);

    command = parsed("a2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    auto& with_ir = std::get<AuthenticateArguments>(command.arguments);
    ASSERT_TRUE(with_ir.initial_response);
    EXPECT_EQ(with_ir.initial_response->reveal(), "AGFsaWNlAHNlY3JldA==");

    command = parsed("a3 AUTHENTICATE PLAIN =\r\n");
    auto& empty_ir = std::get<AuthenticateArguments>(command.arguments);
    ASSERT_TRUE(empty_ir.initial_response);
    EXPECT_TRUE(empty_ir.initial_response->empty());
}

TEST(ImapCommandParser, AuthenticateErrors) {
    EXPECT_EQ(failed("a1 AUTHENTICATE\r\n").tag, "a1");
    EXPECT_EQ(failed("a1 AUTHENTICATE \"PLAIN\"\r\n").tag, "a1");
    EXPECT_EQ(failed("a1 AUTHENTICATE PLAIN abc! \r\n").reason,
              "AUTHENTICATE initial response must be base64 or \"=\"");
    EXPECT_EQ(failed("a1 AUTHENTICATE PLAIN \"abc\"\r\n").reason,
              "AUTHENTICATE initial response must be base64 or \"=\"");
    EXPECT_EQ(failed("a1 AUTHENTICATE PLAIN a b\r\n").tag, "a1");
}

TEST(ImapCommandParser, Id) {
    Command command = parsed("a1 ID NIL\r\n");
    ASSERT_EQ(command.kind, CommandKind::Id);
    EXPECT_TRUE(std::get<IdArguments>(command.arguments).fields.empty());

    command = parsed("a1 ID (\"name\" \"Thunderbird\" \"version\" NIL \"os\" {5}\r\nLinux)\r\n");
    auto& fields = std::get<IdArguments>(command.arguments).fields;
    ASSERT_EQ(fields.size(), 3u);
    EXPECT_EQ(fields[0].first, "name");
    EXPECT_EQ(fields[0].second, "Thunderbird");
    EXPECT_FALSE(fields[1].second);
    EXPECT_EQ(fields[2].second, "Linux");
    EXPECT_TRUE(std::get<IdArguments>(parsed("a1 ID ()\r\n").arguments).fields.empty());
}

TEST(ImapCommandParser, IdErrors) {
    const std::string usage = "ID expects NIL or a list of field/value pairs";
    EXPECT_EQ(failed("a1 ID\r\n").reason, usage);
    EXPECT_EQ(failed("a1 ID (\"name\")\r\n").reason, usage);
    EXPECT_EQ(failed("a1 ID (NIL \"x\")\r\n").reason, usage);
    EXPECT_EQ(failed("a1 ID (\"a\" (\"b\"))\r\n").reason, usage);
    EXPECT_EQ(failed("a1 ID NIL NIL\r\n").reason, usage);
    EXPECT_NE(failed("a1 ID (\"a\" \"b\"\r\n").reason.find("expected"), std::string::npos);
    EXPECT_NE(failed("a1 ID (\"a\" \"b\")(\r\n").reason.find("expected a space"),
              std::string::npos);
    std::string many = "a1 ID (";
    for (int i = 0; i < 31; ++i) many += "\"k" + std::to_string(i) + "\" \"v\" ";
    many.back() = ')';
    EXPECT_EQ(failed(many + "\r\n").reason, "ID allows at most 30 field/value pairs");
}

TEST(ImapCommandParser, NestingAndArgumentLimits) {
    std::string deep = "a1 ID " + std::string(limits::kMaxListDepth, '(') + "x" +
                       std::string(limits::kMaxListDepth, ')') + "\r\n";
    EXPECT_EQ(failed(deep).reason, "ID expects NIL or a list of field/value pairs");
    std::string deeper = "a1 ID " + std::string(limits::kMaxListDepth + 1, '(') + "x" +
                         std::string(limits::kMaxListDepth + 1, ')') + "\r\n";
    EXPECT_NE(failed(deeper).reason.find("nested deeper"), std::string::npos);
    std::string hostile = "a1 ID " + std::string(100000, '(') + "\r\n";
    EXPECT_NE(failed(hostile).reason.find("nested deeper"), std::string::npos);
    std::string wide = "a1 ID (";
    for (std::size_t i = 0; i < limits::kMaxCommandArguments; ++i) wide += "x ";
    wide.back() = ')';
    EXPECT_NE(failed(wide + "\r\n").reason.find("too many arguments"), std::string::npos);
}

TEST(ImapCommandParser, OtherCommandsAreNamedButNotParsed) {
    Command command = parsed("a1 select {5}\r\nINBOX\r\n");
    EXPECT_EQ(command.kind, CommandKind::Other);
    EXPECT_EQ(command.name, "SELECT");
    EXPECT_EQ(parsed("a1 UID FETCH 1:* (FLAGS)\r\n").name, "UID");
    EXPECT_EQ(parsed("a1 X-Custom\r\n").name, "X-CUSTOM");
}

// The session's path: StreamFramer events gathered into one buffer, then parse_command.
std::string gather(const std::vector<std::string>& pieces) {
    StreamFramer framer({StreamFramer::Direction::ClientToServer, limits::kMaxLineLength,
                         limits::kMaxPreAuthLiteral});
    std::string command;
    bool complete = false;
    for (const std::string& piece : pieces) {
        framer.feed(piece, [&](const StreamEvent& event) {
            EXPECT_NE(event.kind, StreamEvent::Kind::Error);
            command.append(event.bytes);
            if (event.ends_unit) complete = true;
        });
    }
    EXPECT_TRUE(complete);
    return command;
}

TEST(ImapCommandParser, CommandsGatheredFromSplitFeedsParseTheSame) {
    const std::string input = "a1 LOGIN {5}\r\nalice \"pa ss\\\"\"\r\n";
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        std::vector<std::string> pieces{input.substr(0, cut), input.substr(cut)};
        Command command = parsed(gather(pieces));
        EXPECT_EQ(login(command).user, "alice");
        EXPECT_EQ(login(command).password.reveal(), "pa ss\"");
    }
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    EXPECT_EQ(login(parsed(gather(bytes))).user, "alice");
}

TEST(MailboxCommands, PeekFindsTagNameAndUidPrefix) {
    auto head = peek_command("a1 uid fetch 1:* (FLAGS)\r\n");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->tag, "a1");
    EXPECT_EQ(head->name, "FETCH");
    EXPECT_TRUE(head->uid);
    EXPECT_EQ(head->kind, MailboxCommandKind::Other);
    head = peek_command("b2 Select {5}\r\n");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->kind, MailboxCommandKind::Select);
    EXPECT_FALSE(peek_command("").has_value());
    EXPECT_FALSE(peek_command("tag\r\n").has_value());
    EXPECT_FALSE(peek_command("t+ SELECT x\r\n").has_value());
    EXPECT_FALSE(peek_command("t UID\r\n").has_value());
}

TEST(MailboxCommands, ParsesMailboxNamesInEveryForm) {
    auto select = parse_mailbox_command("A1 SELECT INBOX\r\n");
    ASSERT_TRUE(select.ok()) << select.error().message;
    EXPECT_EQ(select->head.kind, MailboxCommandKind::Select);
    EXPECT_EQ(select->mailbox, "INBOX");
    auto examine = parse_mailbox_command("A2 EXAMINE \"Sent \\\"Items\\\"\" (CONDSTORE)\r\n");
    ASSERT_TRUE(examine.ok()) << examine.error().message;
    EXPECT_EQ(examine->head.kind, MailboxCommandKind::Examine);
    EXPECT_EQ(examine->mailbox, "Sent \"Items\"");
    auto utf7 = parse_mailbox_command("A3 DELETE Entw&APw-rfe\r\n");
    ASSERT_TRUE(utf7.ok());
    EXPECT_EQ(utf7->mailbox, "Entw&APw-rfe");
    const std::string eight_bit = "A4 RENAME {4}\r\na\0\xff]"s + " {2+}\r\nb \r\n";
    auto rename = parse_mailbox_command(eight_bit);
    ASSERT_TRUE(rename.ok()) << rename.error().message;
    EXPECT_EQ(rename->head.kind, MailboxCommandKind::Rename);
    EXPECT_EQ(rename->mailbox, "a\0\xff]"s);
    EXPECT_EQ(rename->new_name, "b ");
    // The literal is one byte shorter than what follows: the rest is an unexpected argument.
    EXPECT_FALSE(parse_mailbox_command("A4 RENAME {4}\r\nabcd {1}\r\nbc\r\n").ok());
    auto rename_plain = parse_mailbox_command("A5 rename old \"new\"\r\n");
    ASSERT_TRUE(rename_plain.ok());
    EXPECT_EQ(rename_plain->new_name, "new");
}

TEST(MailboxCommands, RejectsHostileCommands) {
    for (std::string command : std::vector<std::string>{
             "A1 SELECT\r\n", "A1 SELECT \r\n", "A1 SELECT \"open\r\n", "A1 SELECT {9}\r\nab\r\n",
             "A1 SELECT {x}\r\nab\r\n", "A1 SELECT INBOX extra\r\n", "A1 SELECT INBOX",
             "A1 RENAME a\r\n", "A1 FETCH 1 (UID)\r\n", "A1 UID SELECT INBOX\r\n",
             "A1 SELECT \"a\0b\"\r\n"s, "A1 SELECT (x)\r\n"}) {
        EXPECT_FALSE(parse_mailbox_command(command).ok()) << command;
    }
}

TEST(MailboxCommands, SelectParametersMayNestAndNamesMaySpanLiterals) {
    auto qresync = parse_mailbox_command(
        "A6 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n");
    ASSERT_TRUE(qresync.ok()) << qresync.error().message;
    EXPECT_EQ(qresync->mailbox, "INBOX");
    auto literal = parse_mailbox_command("A7 EXAMINE {3+}\r\nx y (CONDSTORE)\r\n");
    ASSERT_TRUE(literal.ok()) << literal.error().message;
    EXPECT_EQ(literal->mailbox, "x y");
    EXPECT_FALSE(parse_mailbox_command("A8 DELETE INBOX (x)\r\n").ok());
    EXPECT_FALSE(parse_mailbox_command("A8 SELECT INBOX (a) (b)\r\n").ok());
    EXPECT_FALSE(parse_mailbox_command("A8 SELECT ~{5}\r\nINBOX\r\n").ok());
    EXPECT_FALSE(parse_mailbox_command("A8 SELECT \"a\\b\"\r\n").ok());  // strict escapes
    const std::string too_big = std::to_string(limits::kMaxPreAuthCommand + 1);
    EXPECT_FALSE(parse_mailbox_command("A8 SELECT {" + too_big + "}\r\nx\r\n").ok());
    EXPECT_FALSE(peek_command("a NOOP\r\nb NOOP\r\n").has_value());
    EXPECT_FALSE(peek_command("a NOOP(\r\n").has_value());
    EXPECT_FALSE(peek_command(std::string(limits::kMaxTagLength + 1, 't') + " NOOP\r\n"));
}

}  // namespace
}  // namespace mb::protocol::imap
