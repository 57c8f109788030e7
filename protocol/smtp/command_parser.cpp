// SMTP command parsing: verb lookup, then one small parser per argument shape.
#include "protocol/smtp/command_parser.h"

#include <array>
#include <utility>

#include "protocol/smtp/limits.h"
#include "protocol/smtp/syntax.h"

namespace mb::protocol::smtp {

namespace {

// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the brackets.
constexpr std::size_t kMaxPathLength = 254;
// SASL mechanism names are at most 20 characters (RFC 4422 §3.1).
constexpr std::size_t kMaxMechanismLength = 20;
// 2^64 has 20 digits.
constexpr std::size_t kMaxChunkSizeDigits = 19;

struct VerbEntry {
    std::string_view name;
    CommandKind kind;
};
constexpr std::array<VerbEntry, 14> kVerbs{{
    {"EHLO", CommandKind::Ehlo},
    {"HELO", CommandKind::Helo},
    {"AUTH", CommandKind::Auth},
    {"MAIL", CommandKind::Mail},
    {"RCPT", CommandKind::Rcpt},
    {"DATA", CommandKind::Data},
    {"BDAT", CommandKind::Bdat},
    {"RSET", CommandKind::Rset},
    {"NOOP", CommandKind::Noop},
    {"QUIT", CommandKind::Quit},
    {"STARTTLS", CommandKind::StartTls},
    {"VRFY", CommandKind::Vrfy},
    {"EXPN", CommandKind::Expn},
    {"HELP", CommandKind::Help},
}};

CommandError refuse(CommandKind kind, int code, std::string enhanced, std::string text) {
    return CommandError{kind, code, std::move(enhanced), std::move(text)};
}

CommandError syntax_error(CommandKind kind, std::string text) {
    return refuse(kind, 501, "5.5.4", std::move(text));
}

std::string_view trim_spaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Splits off the next space-separated word; `rest` keeps what follows, leading spaces removed.
std::string_view next_word(std::string_view& rest) {
    const std::size_t end = rest.find(' ');
    std::string_view word = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : trim_spaces(rest.substr(end));
    return word;
}

bool all_of(std::string_view text, bool (*predicate)(char)) {
    for (char c : text)
        if (!predicate(c)) return false;
    return true;
}

bool is_mechanism_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
}

bool is_base64_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=';
}

CommandParseResult parse_hello(Command command, std::string_view args) {
    if (args.empty())
        return syntax_error(command.kind, command.name + " needs your domain name, e.g. " +
                                              command.name + " client.example.com");
    if (!all_of(args, is_path_char))
        return syntax_error(command.kind, command.name + " takes one domain name or address " +
                                              "literal, without spaces or control characters");
    command.arguments = HelloArguments{std::string(args)};
    return command;
}

CommandParseResult parse_auth(Command command, std::string_view args) {
    std::string_view mechanism = next_word(args);
    std::string_view initial = next_word(args);
    if (mechanism.empty())
        return syntax_error(command.kind, "AUTH needs a mechanism, e.g. AUTH PLAIN");
    if (mechanism.size() > kMaxMechanismLength || !all_of(mechanism, is_mechanism_char))
        return syntax_error(command.kind, "AUTH mechanism name is malformed; use AUTH PLAIN");
    if (!args.empty())
        return syntax_error(command.kind,
                            "AUTH takes a mechanism and at most one base64 initial response");
    if (!initial.empty() && !all_of(initial, is_base64_char))
        return refuse(command.kind, 501, "5.5.2",
                      "AUTH initial response is not base64; send base64 or \"=\" for empty");
    AuthArguments auth{to_upper(mechanism), std::nullopt};
    if (!initial.empty())
        auth.initial_response = Secret(initial == "=" ? "" : std::string(initial));
    command.arguments = std::move(auth);
    return command;
}

// Reads "<...>" at the start of `text`, honouring quoted local parts; returns the bytes between
// the brackets and removes the whole path from `text`, or nullopt when it is malformed.
std::optional<std::string_view> take_path(std::string_view& text) {
    if (text.empty() || text.front() != '<') return std::nullopt;
    bool quoted = false;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '\\') {
                if (++i == text.size()) return std::nullopt;
            } else if (c == '"') {
                quoted = false;
            } else if (c != ' ' && !is_path_char(c)) {
                return std::nullopt;
            }
            continue;
        }
        if (c == '"') {
            quoted = true;
        } else if (c == '>') {
            std::string_view path = text.substr(1, i - 1);
            text.remove_prefix(i + 1);
            return path;
        } else if (!is_path_char(c) || c == '<') {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

CommandParseResult parse_path_command(Command command, std::string_view args) {
    const bool mail = command.kind == CommandKind::Mail;
    const std::string_view prefix = mail ? "FROM:" : "TO:";
    const std::string usage = mail ? "Syntax: MAIL FROM:<address> [parameters]"
                                   : "Syntax: RCPT TO:<address> [parameters]";
    if (!istarts_with(args, prefix)) return refuse(command.kind, 501, "5.5.2", usage);
    std::string_view rest = trim_spaces(args.substr(prefix.size()));
    if (rest.empty()) return refuse(command.kind, 501, "5.5.2", usage);
    if (rest.front() != '<')
        return refuse(command.kind, 501, "5.1.7",
                      "Address must be in angle brackets: " +
                          std::string(mail ? "MAIL FROM" : "RCPT TO") + ":<user@example.com>");
    auto path = take_path(rest);
    if (!path)
        return refuse(command.kind, 501, mail ? "5.1.7" : "5.1.3",
                      "Address is malformed (unbalanced brackets or quotes, or control "
                      "characters); " +
                          usage);
    if (path->size() > kMaxPathLength)
        return refuse(command.kind, 501, mail ? "5.1.7" : "5.1.3",
                      "Address is longer than 254 characters");
    if (!mail && path->empty())
        return refuse(command.kind, 501, "5.1.3",
                      "RCPT TO needs an address: RCPT TO:<user@example.com>");
    if (!rest.empty() && rest.front() != ' ')
        return refuse(command.kind, 501, "5.5.2",
                      "Put a space between the address and its parameters; " + usage);
    PathArguments out{std::string(*path), {}};
    rest = trim_spaces(rest);
    while (!rest.empty()) {
        std::string_view parameter = next_word(rest);
        const std::size_t equals = parameter.find('=');
        std::string_view keyword = parameter.substr(0, equals);
        if (keyword.empty() || !all_of(keyword, is_keyword_char) || keyword.front() == '-' ||
            (equals != std::string_view::npos &&
             (equals + 1 == parameter.size() ||
              !all_of(parameter.substr(equals + 1), is_param_value_char))))
            return syntax_error(command.kind, "Malformed parameter \"" + std::string(parameter) +
                                                  "\"; parameters are KEYWORD or KEYWORD=value");
        if (out.parameters.size() == limits::kMaxMailParameters)
            return syntax_error(command.kind, "Too many parameters");
        MailParameter item{to_upper(keyword), std::nullopt};
        if (equals != std::string_view::npos)
            item.value = std::string(parameter.substr(equals + 1));
        out.parameters.push_back(std::move(item));
    }
    command.arguments = std::move(out);
    return command;
}

CommandParseResult parse_bdat(Command command, std::string_view args) {
    std::string_view size = next_word(args);
    std::string_view last = next_word(args);
    if (size.empty() || size.size() > kMaxChunkSizeDigits || !all_of(size, is_digit) ||
        !args.empty() || (!last.empty() && !iequals(last, "LAST")))
        return syntax_error(command.kind, "Syntax: BDAT <size> [LAST]");
    BdatArguments bdat;
    for (char c : size)
        bdat.chunk_size = bdat.chunk_size * 10 + static_cast<std::uint64_t>(c - '0');
    bdat.last = !last.empty();
    command.arguments = bdat;
    return command;
}

}  // namespace

std::string CommandError::reply() const {
    return std::to_string(code) + " " + enhanced + " " + one_line(text) + "\r\n";
}

CommandError line_too_long_error() {
    return refuse(CommandKind::Other, 500, "5.5.2",
                  "Line too long; commands are at most 2048 bytes");
}

CommandError bare_line_feed_error() {
    return refuse(CommandKind::Other, 500, "5.5.2", "Bare LF received; lines must end with CRLF");
}

CommandParseResult parse_command(std::string_view line) {
    if (line.find('\0') != std::string_view::npos)
        return refuse(CommandKind::Other, 500, "5.5.2", "Command contains a NUL byte");
    if (line.find('\r') != std::string_view::npos)
        return refuse(CommandKind::Other, 500, "5.5.2", "Command contains a bare CR");
    std::string_view rest = trim_spaces(line);
    if (rest.empty()) return refuse(CommandKind::Other, 500, "5.5.2", "Empty line; send a command");
    const std::size_t verb_end = rest.find_first_of(" \t");
    std::string_view verb = rest.substr(0, verb_end);
    std::string_view args = verb_end == std::string_view::npos ? std::string_view{}
                                                               : trim_spaces(rest.substr(verb_end));
    if (verb.size() > 16 || !all_of(verb, is_alpha))
        return refuse(CommandKind::Other, 500, "5.5.1", "Unrecognized command");

    Command command;
    command.name = to_upper(verb);
    for (const VerbEntry& entry : kVerbs)
        if (entry.name == command.name) command.kind = entry.kind;
    const std::size_t limit =
        command.kind == CommandKind::Auth ? limits::kMaxAuthLine : limits::kMaxCommandLine;
    if (line.size() + 2 > limit) return line_too_long_error();

    switch (command.kind) {
        case CommandKind::Ehlo:
        case CommandKind::Helo:
            return parse_hello(std::move(command), args);
        case CommandKind::Auth:
            return parse_auth(std::move(command), args);
        case CommandKind::Mail:
        case CommandKind::Rcpt:
            return parse_path_command(std::move(command), args);
        case CommandKind::Bdat:
            return parse_bdat(std::move(command), args);
        case CommandKind::Data:
        case CommandKind::Rset:
        case CommandKind::Quit:
        case CommandKind::StartTls:
            if (!args.empty())
                return syntax_error(command.kind, command.name + " takes no arguments");
            return command;
        case CommandKind::Vrfy:
        case CommandKind::Expn:
            if (args.empty())
                return syntax_error(command.kind, command.name + " needs an argument");
            command.arguments = std::string(args);
            return command;
        case CommandKind::Noop:
        case CommandKind::Help:
            if (!args.empty()) command.arguments = std::string(args);
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

}  // namespace mb::protocol::smtp
