// Capability lists the bridge shows its local clients: the fixed list before login, and the
// upstream list after login with everything removed that concerns login, or that would make the
// relayed stream opaque or change its framing (COMPRESS, STARTTLS, UNAUTHENTICATE …).
// Pure functions; views point into the caller's strings or static storage.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::protocol::imap {

struct PreAuthOffer {
    bool starttls = false;  // the local connection can still be upgraded
    bool login = true;      // credentials are taken now (false on a STARTTLS listener before TLS)
};

// What the bridge advertises before login: IMAP4rev1 [STARTTLS] AUTH=PLAIN SASL-IR LITERAL+ ID
// while login is offered; IMAP4rev1 [STARTTLS] LOGINDISABLED LITERAL+ ID while it is not (RFC 9051
// 6.2.3: a STARTTLS listener takes no credentials before TLS). Plain and implicit-TLS listeners
// always offer login: legacy clients on localhost must be able to log in without TLS.
std::vector<std::string_view> pre_auth_capabilities(PreAuthOffer offer);

// False for capabilities the bridge strips after login:
//   AUTH=*, SASL-IR, LOGINDISABLED, STARTTLS   login is over; the client must not try again
//   COMPRESS=*                                  would make the stream opaque to the framer
//   UNAUTHENTICATE                              would let the client log in again through us
// Everything else is kept (IDLE, MOVE, UIDPLUS, CONDSTORE, QRESYNC, LITERAL+, LITERAL-, BINARY,
// ENABLE, NAMESPACE, ID, …): the framer follows every literal form they use.
bool is_relayable_capability(std::string_view capability);

std::vector<std::string_view> relayable_capabilities(const std::vector<std::string_view>& upstream);

// Rewrites the capability list in an upstream line ("* CAPABILITY …", or a "[CAPABILITY …]" code
// in a greeting or a tagged/untagged OK) to the relayable list, keeping every other byte as sent.
// Returns nullopt when the line needs no change (no list, or nothing to strip): forward it as is.
std::optional<std::string> rewrite_capability_response(std::string_view line);

}  // namespace mb::protocol::imap
