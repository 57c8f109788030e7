// Parser for IMAP client commands, on the tokens of protocol/imap/lexer. Two entry points share
// its head and argument readers: parse_command for the commands the bridge answers itself before
// login (CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN, AUTHENTICATE), and peek_command /
// parse_mailbox_command for the commands the metadata cache follows after login (SELECT, EXAMINE,
// RENAME, DELETE, the UID prefix). Input is one whole logical command as it came over the wire:
// its line segments and literal bodies in order, final CRLF included (collected with
// StreamFramer). Pure; results own their strings, and passwords and SASL initial responses come
// back as Secret. Errors carry a reason for a BAD response and the tag when one was read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::imap {

enum class CommandKind { Capability, Noop, Logout, Id, StartTls, Login, Authenticate, Other };

struct LoginArguments {
    std::string user;
    Secret password;
};

struct AuthenticateArguments {
    std::string mechanism;  // upper-case
    // SASL-IR (RFC 4959): the base64 text as sent; empty when the client sent "=" (an empty
    // response); nullopt when the client sent none and expects a "+" continuation.
    std::optional<Secret> initial_response;
};

struct IdArguments {
    // RFC 2971 field/value pairs; empty when the client sent NIL. A NIL value is nullopt.
    std::vector<std::pair<std::string, std::optional<std::string>>> fields;
};

struct Command {
    std::string tag;
    CommandKind kind = CommandKind::Other;
    std::string name;  // upper-case command name as sent (e.g. "SELECT" for Other)
    std::variant<std::monostate, LoginArguments, AuthenticateArguments, IdArguments> arguments;
};

struct CommandError {
    std::string tag;     // empty when no valid tag was read: answer with an untagged BAD
    std::string reason;  // text for the BAD response
};

using CommandParseResult = std::variant<Command, CommandError>;

// Parses one logical command. Arguments of commands other than the seven above are not parsed:
// the session refuses those before login whatever they carry.
CommandParseResult parse_command(std::string_view command);

enum class MailboxCommandKind { Select, Examine, Rename, Delete, Other };

// The first segment of a client command, enough to decide whether to read it whole.
struct CommandHead {
    std::string tag;
    std::string name;  // upper-case; for "UID FETCH" this is "FETCH" and `uid` is true
    bool uid = false;
    MailboxCommandKind kind = MailboxCommandKind::Other;
};
std::optional<CommandHead> peek_command(std::string_view first_segment);

struct MailboxCommand {
    CommandHead head;
    std::string mailbox;   // SELECT/EXAMINE/DELETE/RENAME source; modified UTF-7 kept raw
    std::string new_name;  // RENAME target
};
// Parses a whole SELECT/EXAMINE/RENAME/DELETE command (segments and literal bodies in order).
// Mailbox names may be atoms, quoted strings or literals (up to limits::kMaxPreAuthCommand
// bytes); SELECT and EXAMINE may carry one parameter list (CONDSTORE, QRESYNC …).
Result<MailboxCommand> parse_mailbox_command(std::string_view command);

}  // namespace mb::protocol::imap
