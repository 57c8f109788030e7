// Parser for the SMTP commands a local client sends to the bridge (RFC 5321 with AUTH, STARTTLS,
// PIPELINING, SIZE, 8BITMIME, SMTPUTF8, DSN parameters). Input is one line as LineFramer gives it,
// without CRLF (the session frames with BareLf::Rejected and limits::kMaxAuthLine). Pure; the
// result owns its strings, and SASL data comes back as Secret. A refusal carries the reply code,
// the enhanced status code and a text that says what to send instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/secret.h"

namespace mb::protocol::smtp {

enum class CommandKind {
    Ehlo,
    Helo,
    Auth,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    StartTls,
    Vrfy,
    Expn,
    Help,
    Other  // any other verb; `name` says which
};

struct HelloArguments {
    std::string domain;  // as sent: a name or an address literal "[192.0.2.1]"
};

struct AuthArguments {
    std::string mechanism;  // upper-case
    // RFC 4954 initial response: the base64 text as sent; empty when the client sent "=";
    // nullopt when the client sent none and expects a "334 " challenge.
    std::optional<Secret> initial_response;
};

struct MailParameter {
    std::string keyword;               // upper-case, e.g. "SIZE", "BODY", "SMTPUTF8"
    std::optional<std::string> value;  // as sent; nullopt for a bare keyword
    bool operator==(const MailParameter&) const = default;
};

struct PathArguments {
    std::string path;  // between the angle brackets; empty for the null reverse-path "<>"
    std::vector<MailParameter> parameters;
};

struct BdatArguments {
    std::uint64_t chunk_size = 0;
    bool last = false;
};

struct Command {
    CommandKind kind = CommandKind::Other;
    std::string name;  // upper-case verb as sent
    // Hello for EHLO/HELO, Auth for AUTH, Path for MAIL/RCPT, Bdat for BDAT, std::string for the
    // optional argument of NOOP/HELP and the required one of VRFY/EXPN; monostate otherwise.
    std::variant<std::monostate, HelloArguments, AuthArguments, PathArguments, BdatArguments,
                 std::string>
        arguments;
};

struct CommandError {
    CommandKind kind = CommandKind::Other;  // the command refused, when its verb was known
    int code = 500;
    std::string enhanced;  // e.g. "5.5.2"
    std::string text;
    // "<code> <enhanced> <text>\r\n", ready to send.
    std::string reply() const;
};

using CommandParseResult = std::variant<Command, CommandError>;

// Parses one command line (without its CRLF). Unknown verbs parse as CommandKind::Other (the
// session answers 502 or relays them); malformed lines of known verbs are refused with 501, lines
// with NUL, non-ASCII verbs or too long (kMaxCommandLine, kMaxAuthLine for AUTH) with 500.
CommandParseResult parse_command(std::string_view line);

// The refusals for what LineFramer reports instead of a line.
CommandError line_too_long_error();
CommandError bare_line_feed_error();

// A client's answer during an AUTH exchange (the line after a "334"): "*" cancels (RFC 4954 §4);
// anything else is base64 for the SASL mechanism to decode.
struct SaslAnswer {
    bool cancelled = false;
    Secret data;
};
SaslAnswer parse_sasl_answer(std::string_view line);

}  // namespace mb::protocol::smtp
