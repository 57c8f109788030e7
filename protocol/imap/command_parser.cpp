// Command parser implementation: a cursor over the command bytes reads the tag, the name and a
// bounded tree of arguments (atoms, quoted strings, literals, lists; each token read by the
// lexer), then each known command checks its arguments' shape.
#include "protocol/imap/command_parser.h"

#include <openssl/crypto.h>

#include <cstdint>

#include "protocol/imap/lexer.h"
#include "protocol/imap/syntax.h"
#include "protocol/limits.h"

namespace mb::protocol::imap {

namespace {

struct Argument {
    enum class Kind { Atom, Quoted, Literal, List };
    Kind kind = Kind::Atom;
    std::string value;
    std::vector<Argument> items;

    bool is_string() const { return kind != Kind::List; }
    bool is_nil() const { return kind == Kind::Atom && iequals(value, "NIL"); }
};

struct ParseFailure {
    std::string reason;
};

class Cursor {
  public:
    explicit Cursor(std::string_view input) : input_(input) {}

    bool at_end_of_line() const {
        std::string_view rest = input_.substr(pos_);
        return rest == "\r\n" || rest == "\n";
    }
    bool done() const { return pos_ >= input_.size(); }
    char peek() const { return input_[pos_]; }
    std::size_t pos() const { return pos_; }
    void advance(std::size_t n = 1) { pos_ += n; }
    std::string_view rest() const { return input_.substr(pos_); }

    std::string_view take_while(bool (*accept)(unsigned char)) {
        std::string_view taken = rest().substr(0, scan_while(rest(), accept));
        pos_ += taken.size();
        return taken;
    }

  private:
    std::string_view input_;
    std::size_t pos_ = 0;
};

// What a command's arguments may hold.
struct ArgumentRules {
    std::uint64_t max_literal = limits::kMaxPreAuthLiteral;
    std::string_view literal_limit_name = "the limit before login";
    bool literal_nul_allowed = false;  // RFC 3501 forbids NUL in a literal; mailbox names pass it
};

class ArgumentParser {
  public:
    ArgumentParser(Cursor& cursor, ArgumentRules rules) : cursor_(cursor), rules_(rules) {}

    // Reads SP-separated arguments up to the end of the line.
    std::variant<std::vector<Argument>, ParseFailure> parse_all() {
        std::vector<Argument> args;
        while (!cursor_.at_end_of_line()) {
            if (cursor_.rest().substr(0, 2) == "\r\n" || cursor_.rest().substr(0, 1) == "\n")
                return ParseFailure{"bytes follow the end of the command line"};
            if (cursor_.done() || cursor_.peek() != ' ') return unexpected("a space");
            while (!cursor_.done() && cursor_.peek() == ' ') cursor_.advance();
            if (cursor_.at_end_of_line()) break;
            auto arg = parse_one(0);
            if (auto* failure = std::get_if<ParseFailure>(&arg)) return std::move(*failure);
            args.push_back(std::move(std::get<Argument>(arg)));
        }
        return args;
    }

  private:
    using One = std::variant<Argument, ParseFailure>;

    ParseFailure unexpected(std::string_view expected) const {
        if (cursor_.done()) return {"command ends early; expected " + std::string(expected)};
        if (cursor_.peek() == '\r' || cursor_.peek() == '\n')
            return {"line ends early; expected " + std::string(expected)};
        return {"unexpected character at offset " + std::to_string(cursor_.pos()) + "; expected " +
                std::string(expected)};
    }

    One parse_one(std::size_t depth) {
        if (++count_ > limits::kMaxCommandArguments)
            return ParseFailure{"too many arguments (limit " +
                                std::to_string(limits::kMaxCommandArguments) + ")"};
        if (cursor_.done()) return unexpected("an argument");
        switch (cursor_.peek()) {
            case '"':
                return parse_quoted();
            case '{':
                return parse_literal();
            case '~':
                if (cursor_.rest().substr(0, 2) == "~{")
                    return ParseFailure{"binary literals are not allowed in this command"};
                break;
            case '(':
                return parse_list(depth);
            default:
                break;
        }
        std::string_view atom = cursor_.take_while(is_astring_char);
        if (atom.empty()) return unexpected("an atom, a string or a list");
        return Argument{Argument::Kind::Atom, std::string(atom), {}};
    }

    One parse_quoted() {
        Argument arg{Argument::Kind::Quoted, {}, {}};
        const Token token = scan_quoted(cursor_.rest(), Quoting::Strict, &arg.value);
        switch (token.error) {
            case LexError::None:
                cursor_.advance(token.length);
                return arg;
            case LexError::BadEscape:
                return ParseFailure{
                    "quoted string has an invalid escape; only \\\\ and \\\" are allowed"};
            case LexError::ForbiddenByte:
                return ParseFailure{"quoted string contains CR, LF or NUL; use a literal"};
            default:
                return ParseFailure{"quoted string is not closed"};
        }
    }

    One parse_literal() {
        const Token token = scan_literal(cursor_.rest(), rules_.max_literal);
        switch (token.error) {
            case LexError::None:
                break;
            case LexError::SizeOverflow:
            case LexError::TooLarge:
                return ParseFailure{"literal exceeds " + std::to_string(rules_.max_literal) +
                                    " bytes, " + std::string(rules_.literal_limit_name)};
            case LexError::NoLineEnd:
                return ParseFailure{"literal size must end the line"};
            case LexError::ShortBody:
                return ParseFailure{"literal is shorter than announced"};
            default:
                return ParseFailure{"malformed literal size; expected {digits} or {digits+}"};
        }
        if (!rules_.literal_nul_allowed && token.raw.find('\0') != std::string_view::npos)
            return ParseFailure{"literal contains NUL"};
        cursor_.advance(token.length);
        return Argument{Argument::Kind::Literal, std::string(token.raw), {}};
    }

    One parse_list(std::size_t depth) {
        if (depth + 1 > limits::kMaxListDepth)
            return ParseFailure{"lists nested deeper than " +
                                std::to_string(limits::kMaxListDepth)};
        cursor_.advance();
        Argument list{Argument::Kind::List, {}, {}};
        for (;;) {
            if (cursor_.done()) return unexpected("')'");
            if (cursor_.peek() == ')') {
                cursor_.advance();
                return list;
            }
            if (!list.items.empty()) {
                if (cursor_.peek() != ' ') return unexpected("a space or ')'");
                cursor_.advance();
            }
            auto item = parse_one(depth + 1);
            if (auto* failure = std::get_if<ParseFailure>(&item)) return std::move(*failure);
            list.items.push_back(std::move(std::get<Argument>(item)));
        }
    }

    Cursor& cursor_;
    ArgumentRules rules_;
    std::size_t count_ = 0;
};

struct KnownCommand {
    std::string_view name;
    CommandKind kind;
};
constexpr KnownCommand kKnownCommands[] = {
    {"CAPABILITY", CommandKind::Capability},
    {"NOOP", CommandKind::Noop},
    {"LOGOUT", CommandKind::Logout},
    {"ID", CommandKind::Id},
    {"STARTTLS", CommandKind::StartTls},
    {"LOGIN", CommandKind::Login},
    {"AUTHENTICATE", CommandKind::Authenticate},
};

Secret take_secret(std::string& value) {
    Secret secret(value);
    OPENSSL_cleanse(value.data(), value.size());
    return secret;
}

std::variant<LoginArguments, std::string> login_arguments(std::vector<Argument>& args) {
    if (args.size() != 2 || !args[0].is_string() || !args[1].is_string())
        return std::string("LOGIN expects a user name and a password");
    return LoginArguments{args[0].value, take_secret(args[1].value)};
}

bool is_base64_or_empty_marker(std::string_view text) {
    if (text == "=") return true;
    for (char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
        if (!ok) return false;
    }
    return !text.empty();
}

std::variant<AuthenticateArguments, std::string> authenticate_arguments(
    std::vector<Argument>& args) {
    if (args.empty() || args.size() > 2 || args[0].kind != Argument::Kind::Atom)
        return std::string(
            "AUTHENTICATE expects a mechanism name and an optional initial response");
    AuthenticateArguments out{to_upper(args[0].value), std::nullopt};
    if (args.size() == 2) {
        if (args[1].kind != Argument::Kind::Atom || !is_base64_or_empty_marker(args[1].value))
            return std::string("AUTHENTICATE initial response must be base64 or \"=\"");
        if (args[1].value == "=") args[1].value.clear();
        out.initial_response = take_secret(args[1].value);
    }
    return out;
}

constexpr std::size_t kMaxIdPairs = 30;  // RFC 2971 §3.3

std::variant<IdArguments, std::string> id_arguments(const std::vector<Argument>& args) {
    const std::string usage = "ID expects NIL or a list of field/value pairs";
    if (args.size() != 1) return usage;
    IdArguments out;
    if (args[0].is_nil()) return out;
    if (args[0].kind != Argument::Kind::List || args[0].items.size() % 2 != 0) return usage;
    if (args[0].items.size() / 2 > kMaxIdPairs)
        return std::string("ID allows at most 30 field/value pairs");
    for (std::size_t i = 0; i < args[0].items.size(); i += 2) {
        const Argument& field = args[0].items[i];
        const Argument& value = args[0].items[i + 1];
        if (!field.is_string() || field.is_nil() || !value.is_string()) return usage;
        out.fields.emplace_back(
            field.value, value.is_nil() ? std::nullopt : std::optional<std::string>(value.value));
    }
    return out;
}

template <typename T>
bool assign(Command& command, std::variant<T, std::string>&& checked, std::string& reason) {
    if (auto* error = std::get_if<std::string>(&checked)) {
        reason = std::move(*error);
        return false;
    }
    command.arguments = std::move(std::get<T>(checked));
    return true;
}

}  // namespace

CommandParseResult parse_command(std::string_view input) {
    if (input.find('\n') == std::string_view::npos)
        return CommandError{{}, "command does not end with CRLF"};
    Cursor cursor(input);
    std::string_view tag = cursor.take_while(is_tag_char);
    if (tag.size() > limits::kMaxTagLength)
        return CommandError{
            {}, "command tag longer than " + std::to_string(limits::kMaxTagLength) + " bytes"};
    const bool line_ends = cursor.at_end_of_line();
    if (tag.empty() || (!line_ends && cursor.peek() != ' '))
        return CommandError{{}, "missing or invalid command tag"};
    Command command;
    command.tag = std::string(tag);
    if (line_ends) return CommandError{command.tag, "missing command name"};
    cursor.advance();
    std::string_view name = cursor.take_while(is_atom_char);
    if (name.empty()) return CommandError{command.tag, "missing command name"};
    command.name = to_upper(name);
    for (const KnownCommand& known : kKnownCommands)
        if (known.name == command.name) command.kind = known.kind;
    if (command.kind == CommandKind::Other) return command;

    ArgumentParser parser(cursor, ArgumentRules{});
    auto parsed = parser.parse_all();
    if (auto* failure = std::get_if<ParseFailure>(&parsed))
        return CommandError{command.tag, command.name + ": " + failure->reason};
    auto& args = std::get<std::vector<Argument>>(parsed);

    std::string reason;
    bool ok = true;
    switch (command.kind) {
        case CommandKind::Login:
            ok = assign(command, login_arguments(args), reason);
            break;
        case CommandKind::Authenticate:
            ok = assign(command, authenticate_arguments(args), reason);
            break;
        case CommandKind::Id:
            ok = assign(command, id_arguments(args), reason);
            break;
        default:
            if (!args.empty()) {
                ok = false;
                reason = command.name + " takes no arguments";
            }
            break;
    }
    for (Argument& arg : args) OPENSSL_cleanse(arg.value.data(), arg.value.size());
    if (!ok) return CommandError{command.tag, std::move(reason)};
    return command;
}

namespace {

MailboxCommandKind mailbox_command_kind(std::string_view name) {
    if (name == "SELECT") return MailboxCommandKind::Select;
    if (name == "EXAMINE") return MailboxCommandKind::Examine;
    if (name == "RENAME") return MailboxCommandKind::Rename;
    if (name == "DELETE") return MailboxCommandKind::Delete;
    return MailboxCommandKind::Other;
}

// A command name ends at a space, at the end of the line, or where the bytes end.
bool name_ends(const Cursor& cursor) {
    return cursor.done() || cursor.peek() == ' ' || cursor.at_end_of_line();
}

// Reads "tag SP [UID SP] name", leaving the cursor after the name.
std::optional<CommandHead> read_head(Cursor& cursor) {
    std::string_view tag = cursor.take_while(is_tag_char);
    if (tag.empty() || tag.size() > limits::kMaxTagLength || cursor.done() || cursor.peek() != ' ')
        return std::nullopt;
    cursor.advance();
    CommandHead head;
    head.tag.assign(tag);
    head.name = to_upper(cursor.take_while(is_atom_char));
    if (head.name == "UID") {
        if (cursor.done() || cursor.peek() != ' ') return std::nullopt;
        cursor.advance();
        head.uid = true;
        head.name = to_upper(cursor.take_while(is_atom_char));
    }
    if (head.name.empty() || !name_ends(cursor)) return std::nullopt;
    if (!head.uid) head.kind = mailbox_command_kind(head.name);
    return head;
}

// Mailbox names are read after login, from commands of up to kMaxPreAuthCommand bytes that the
// upstream server judges; the cache only has to find the name it will accept.
constexpr ArgumentRules kMailboxArgumentRules{
    .max_literal = limits::kMaxPreAuthCommand,
    .literal_limit_name = "the limit for a mailbox name",
    .literal_nul_allowed = true,
};

}  // namespace

std::optional<CommandHead> peek_command(std::string_view first_segment) {
    Cursor cursor(first_segment);
    return read_head(cursor);
}

Result<MailboxCommand> parse_mailbox_command(std::string_view command) {
    Cursor cursor(command);
    auto head = read_head(cursor);
    if (!head) return make_error("command has no valid tag and name");
    if (head->kind == MailboxCommandKind::Other)
        return make_error(head->name + " is not SELECT, EXAMINE, RENAME or DELETE");
    if (command.find('\n') == std::string_view::npos)
        return make_error(head->name + " does not end with CRLF");
    ArgumentParser parser(cursor, kMailboxArgumentRules);
    auto parsed = parser.parse_all();
    if (auto* failure = std::get_if<ParseFailure>(&parsed))
        return make_error(head->name + ": " + failure->reason);
    auto& args = std::get<std::vector<Argument>>(parsed);
    const bool rename = head->kind == MailboxCommandKind::Rename;
    const bool select =
        head->kind == MailboxCommandKind::Select || head->kind == MailboxCommandKind::Examine;
    const std::size_t names = rename ? 2 : 1;
    const bool parameters =
        select && args.size() == names + 1 && args.back().kind == Argument::Kind::List;
    if (args.size() != names + (parameters ? 1 : 0))
        return make_error(head->name +
                          (rename ? " expects two mailbox names" : " expects a mailbox name") +
                          (select ? " and an optional parameter list" : ""));
    for (std::size_t i = 0; i < names; ++i)
        if (!args[i].is_string())
            return make_error(head->name + ": a mailbox name is an atom, a string or a literal");
    MailboxCommand out;
    out.head = std::move(*head);
    out.mailbox = std::move(args[0].value);
    if (rename) out.new_name = std::move(args[1].value);
    return out;
}

}  // namespace mb::protocol::imap
