// POP3 command parsing: keyword lookup, then the arguments of the few commands with any.
#include "protocol/pop3/command_parser.h"

#include <array>
#include <utility>

#include "protocol/pop3/limits.h"
#include "protocol/pop3/syntax.h"

namespace mb::protocol::pop3 {

namespace {

// Keywords are 3-4 letters in RFC 1939 and a little longer in extensions.
constexpr std::size_t kMaxKeywordLength = 16;
// SASL mechanism names are at most 20 characters (RFC 4422 §3.1).
constexpr std::size_t kMaxMechanismLength = 20;

struct KeywordEntry {
    std::string_view name;
    CommandKind kind;
};
constexpr std::array<KeywordEntry, 7> kKeywords{{
    {"USER", CommandKind::User},
    {"PASS", CommandKind::Pass},
    {"AUTH", CommandKind::Auth},
    {"CAPA", CommandKind::Capa},
    {"STLS", CommandKind::Stls},
    {"QUIT", CommandKind::Quit},
    {"NOOP", CommandKind::Noop},
}};

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_mechanism_char(char c) {
    return is_letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_base64_char(char c) {
    return is_letter(c) || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

template <typename Predicate>
bool all_of(std::string_view text, Predicate predicate) {
    for (char c : text)
        if (!predicate(c)) return false;
    return true;
}

std::string_view trim_trailing_spaces(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

CommandError refuse(CommandKind kind, std::string reason) {
    return CommandError{kind, std::move(reason)};
}

CommandParseResult parse_auth(Command command, std::string_view args) {
    std::string_view rest = trim_trailing_spaces(args);
    const std::size_t space = rest.find(' ');
    std::string_view mechanism = rest.substr(0, space);
    std::string_view initial =
        space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (mechanism.size() > kMaxMechanismLength || !all_of(mechanism, is_mechanism_char))
        return refuse(command.kind, "AUTH mechanism name is malformed; use AUTH PLAIN");
    if (space != std::string_view::npos && (initial.empty() || !all_of(initial, is_base64_char)))
        return refuse(command.kind,
                      "AUTH takes a mechanism and at most one base64 initial response "
                      "(\"=\" for an empty one)");
    AuthArguments auth{to_upper(mechanism), std::nullopt};
    if (space != std::string_view::npos)
        auth.initial_response = Secret(initial == "=" ? "" : std::string(initial));
    command.arguments = std::move(auth);
    return command;
}

}  // namespace

std::string CommandError::response() const {
    return "-ERR " + one_line(reason) + "\r\n";
}

CommandError line_too_long_error() {
    return refuse(CommandKind::Other, "Line too long; commands are at most 512 bytes");
}

CommandParseResult parse_command(std::string_view line) {
    if (line.find('\0') != std::string_view::npos)
        return refuse(CommandKind::Other, "Command contains a NUL byte");
    if (line.find('\r') != std::string_view::npos)
        return refuse(CommandKind::Other, "Command contains a bare CR");
    const std::size_t space = line.find(' ');
    std::string_view keyword = line.substr(0, space);
    std::string_view args =
        space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    if (keyword.empty()) return refuse(CommandKind::Other, "Empty command; send a command");
    if (keyword.size() > kMaxKeywordLength || !all_of(keyword, is_letter))
        return refuse(CommandKind::Other, "Unknown command");

    Command command;
    command.name = to_upper(keyword);
    for (const KeywordEntry& entry : kKeywords)
        if (entry.name == command.name) command.kind = entry.kind;
    const std::size_t limit =
        command.kind == CommandKind::Auth ? limits::kMaxAuthLine : limits::kMaxCommandLine;
    if (line.size() + 2 > limit) return line_too_long_error();

    switch (command.kind) {
        case CommandKind::User: {
            std::string_view name = trim_trailing_spaces(args);
            while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
            if (name.empty()) return refuse(command.kind, "USER needs a user name: USER <name>");
            command.arguments = std::string(name);
            return command;
        }
        case CommandKind::Pass:
            if (args.empty()) return refuse(command.kind, "PASS needs a password: PASS <password>");
            command.arguments = Secret(std::string(args));
            return command;
        case CommandKind::Auth:
            return parse_auth(std::move(command), args);
        case CommandKind::Capa:
        case CommandKind::Stls:
        case CommandKind::Quit:
        case CommandKind::Noop:
            if (!trim_trailing_spaces(args).empty())
                return refuse(command.kind, command.name + " takes no arguments");
            return command;
        case CommandKind::Other:
            return command;
    }
    return command;
}

SaslAnswer parse_sasl_answer(std::string_view line) {
    if (line == "*") return {true, Secret()};
    return {false, Secret(std::string(line))};
}

}  // namespace mb::protocol::pop3
