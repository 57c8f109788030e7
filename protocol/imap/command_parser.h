// Parser for the IMAP client commands the bridge answers itself before login (CAPABILITY, NOOP,
// LOGOUT, ID, STARTTLS, LOGIN, AUTHENTICATE). Input is one whole logical command as it came over
// the wire: its line segments and literal bodies in order, final CRLF included (the session
// collects them with StreamFramer). Pure; the result owns its strings, and passwords and SASL
// initial responses come back as Secret. Errors carry a reason for a BAD response and the tag when
// one was read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

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

}  // namespace mb::protocol::imap
