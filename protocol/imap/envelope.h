// Envelope: the RFC 3501 ENVELOPE structure of a message, read from the exact bytes of the
// ENVELOPE list as the server sent them (literals inline as "{n}" CRLF and n bytes). Pure; the
// result owns its strings, kept byte-exact (8-bit, NUL and RFC 2047 words are not decoded).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace mb::protocol::imap {

// One address of an address list; NIL fields are nullopt. A group start has no host, a group
// end has neither mailbox nor host (RFC 3501 §7.4.2).
struct Address {
    std::optional<std::string> name;
    std::optional<std::string> adl;
    std::optional<std::string> mailbox;
    std::optional<std::string> host;
    bool operator==(const Address&) const = default;
};

struct Envelope {
    std::optional<std::string> date;
    std::optional<std::string> subject;
    std::vector<Address> from;
    std::vector<Address> sender;
    std::vector<Address> reply_to;
    std::vector<Address> to;
    std::vector<Address> cc;
    std::vector<Address> bcc;
    std::optional<std::string> in_reply_to;
    std::optional<std::string> message_id;
    bool operator==(const Envelope&) const = default;
};

// Parses "(date subject from sender reply-to to cc bcc in-reply-to message-id)". Strings may be
// NIL, quoted (with \" and \\ escapes) or literals; an address list may be NIL or "()".
Result<Envelope> parse_envelope(std::string_view raw);

// Renders an address list for display, bytes as received: `name <mailbox@host>` or
// `mailbox@host`, groups as `name:` … `;`, joined by ", ".
std::string format_addresses(const std::vector<Address>& addresses);

}  // namespace mb::protocol::imap
