// Parser for the POP3 commands a local client sends to the bridge before login (RFC 1939 USER,
// PASS, QUIT, NOOP; RFC 2449 CAPA; RFC 2595 STLS; RFC 5034 AUTH). Input is one line as
// LineFramer gives it, without CRLF (framed with limits::kMaxAuthLine). Pure; the result owns its
// strings, and passwords and SASL data come back as Secret. A refusal carries the text for -ERR.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/secret.h"

namespace mb::protocol::pop3 {

enum class CommandKind { User, Pass, Auth, Capa, Stls, Quit, Noop, Other };

struct AuthArguments {
    // Upper-case; empty for a bare "AUTH", with which some clients ask for the mechanism list.
    std::string mechanism;
    // RFC 5034 initial response: the base64 text as sent; empty when the client sent "=";
    // nullopt when the client sent none and expects a "+ " continuation.
    std::optional<Secret> initial_response;
};

struct Command {
    CommandKind kind = CommandKind::Other;
    std::string name;  // upper-case keyword as sent
    // std::string: the USER name; Secret: the PASS password (the rest of the line, spaces kept);
    // AuthArguments for AUTH; monostate otherwise.
    std::variant<std::monostate, std::string, Secret, AuthArguments> arguments;
};

struct CommandError {
    CommandKind kind = CommandKind::Other;  // the command refused, when its keyword was known
    std::string reason;
    std::string response() const;  // "-ERR <reason>\r\n"
};

using CommandParseResult = std::variant<Command, CommandError>;

// Parses one command line. Unknown keywords parse as CommandKind::Other (refused before login
// by the session); malformed arguments, NUL, bare CR, non-letter keywords and lines over
// kMaxCommandLine (kMaxAuthLine for AUTH) are refused.
CommandParseResult parse_command(std::string_view line);

// The refusal for a line LineFramer reports as too long.
CommandError line_too_long_error();

// A client's answer during an AUTH exchange (the line after a "+ "): "*" cancels (RFC 5034 §4);
// anything else is base64 for the SASL mechanism to decode.
struct SaslAnswer {
    bool cancelled = false;
    Secret data;
};
SaslAnswer parse_sasl_answer(std::string_view line);

}  // namespace mb::protocol::pop3
