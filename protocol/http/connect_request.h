// The CONNECT request a client sends to open a tunnel through an HTTP proxy (RFC 9110 §9.3.6):
// request line, Host, optional Proxy-Authorization. Pure; the request holds credentials when
// authorised, so it comes back as a Secret.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::http {

// "host:port", with an IPv6 literal in brackets ("[2001:db8::1]:993").
std::string connect_authority(std::string_view host, std::uint16_t port);

// "CONNECT authority HTTP/1.1\r\nHost: authority\r\n[Proxy-Authorization: …\r\n]\r\n".
// Errors for an empty host or port 0, and for CR, LF, space or control characters in the host
// or the authorization (they would split the request).
Result<Secret> connect_request(std::string_view host, std::uint16_t port,
                               const Secret& proxy_authorization);

}  // namespace mb::protocol::http
