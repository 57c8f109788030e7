// The CAPA list the bridge shows its local POP3 clients after login: the upstream's own answer
// with every capability removed that concerns login, which is over by then. Stripped: STLS,
// SASL, USER, AUTH-RESP-CODE. Kept: everything else (TOP, UIDL, PIPELINING, RESP-CODES,
// EXPIRE, LOGIN-DELAY, IMPLEMENTATION, UTF8, …), byte for byte. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mb::protocol::pop3 {

// False for the capability lines stripped after login (by keyword, case-insensitive).
bool is_relayable_capability(std::string_view capability_line);

// Rewrites a whole upstream CAPA response ("+OK …", lines, "."; as the ResponseTracker delimits
// it) without the stripped lines, keeping every other byte as sent. Returns nullopt when it needs
// no change (nothing to strip, or not a +OK multi-line response): forward it as it is.
std::optional<std::string> rewrite_capa_response(std::string_view response);

}  // namespace mb::protocol::pop3
