// EHLO capabilities: parsing the keywords of an upstream's EHLO reply (AUTH mechanisms,
// STARTTLS, SIZE …) and building the EHLO reply the bridge sends its local clients. The local
// reply advertises AUTH PLAIN LOGIN (before login) and STARTTLS (when local TLS can still be
// started), and passes through from the upstream only extensions the relay carries unchanged:
// SIZE, 8BITMIME, SMTPUTF8, PIPELINING, ENHANCEDSTATUSCODES, DSN. Never CHUNKING or BINARYMIME
// (the session frames DATA only), never the upstream's AUTH or STARTTLS. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/smtp/reply_parser.h"

namespace mb::protocol::smtp {

struct EhloCapabilities {
    std::vector<std::string> auth_mechanisms;  // upper-case, in the order sent
    bool starttls = false;
    bool pipelining = false;
    bool eight_bit_mime = false;
    bool smtputf8 = false;
    bool enhanced_status_codes = false;
    bool dsn = false;
    bool chunking = false;
    bool binary_mime = false;
    // SIZE: the declared maximum message size; 0 when the server declares none ("SIZE" or
    // "SIZE 0"); nullopt when it does not offer SIZE.
    std::optional<std::uint64_t> size;

    bool has_auth(std::string_view mechanism) const;
};

// Reads the keyword lines of a 250 EHLO reply (every line after the first). "AUTH=…" lines of old
// servers count as AUTH. Unknown keywords and malformed SIZE values are ignored.
EhloCapabilities parse_ehlo_reply(const Reply& reply);

struct LocalEhloOffer {
    bool starttls = false;  // local TLS is configured and not yet started
    bool auth = true;       // the client has not logged in yet
};

// "250-<domain>\r\n" then the relayable upstream keywords, STARTTLS and AUTH as offered, the
// last line with "250 ".
std::string ehlo_reply(std::string_view domain, const LocalEhloOffer& offer,
                       const EhloCapabilities& upstream);

}  // namespace mb::protocol::smtp
