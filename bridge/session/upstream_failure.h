// UpstreamFailure: the closed set of reasons a session cannot get an authenticated upstream, with
// the one table that maps each to what the IMAP, POP3 and SMTP clients are told.
#pragma once

#include <string>
#include <string_view>

#include "bridge/net/upstream_dialer.h"

namespace mb::session {

enum class UpstreamFailure {
    connect,            // DNS or TCP refused/unreachable
    timeout,            // connect_timeout passed before the upstream was usable
    tls,                // TLS handshake or certificate/hostname verification failed
    starttls_missing,   // upstream_tls = "starttls" but the server does not offer it
    protocol,           // the upstream said something the bridge cannot follow, or BYE/closed
    auth_rejected,      // the upstream refused the SASL authentication
    token_unavailable,  // no OAuth2 token (token endpoint down, needs authorization)
    proxy,              // the [[proxy]] was unreachable, could not reach the upstream, TLS to it
    proxy_auth,         // the [[proxy]] refused its username/password or auth scheme (407)
    proxy_refused,      // the [[proxy]] forbade the tunnel (403)
};

std::string_view to_string(UpstreamFailure failure);

// Whether the [[proxy]] failed (any of the three proxy kinds), for its readiness and metrics.
bool is_proxy_failure(UpstreamFailure failure);

// The failure a session reports when the dialer could not open the upstream transport.
UpstreamFailure upstream_failure_of(net::DialFailure failure);

// IMAP response code for a tagged NO: AUTHENTICATIONFAILED for a refused login, else UNAVAILABLE.
std::string_view imap_response_code(UpstreamFailure failure);

}  // namespace mb::session
