// Socket address helpers shared by the TCP and TLS code: IP-literal detection, host:port text for
// messages and logs, parsing an IP literal for bind. Pure functions over libc (no libuv), no state.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace mb::net {

// True for an IPv4 or IPv6 address literal (IPv6 without brackets).
bool is_ip_literal(std::string_view host);
// "host:port", with brackets around an IPv6 literal: "[::1]:993".
std::string format_host_port(std::string_view host, uint16_t port);
// "127.0.0.1:1143" / "[::1]:1143" for an AF_INET/AF_INET6 address; "unknown address" otherwise.
std::string format_sockaddr(const sockaddr* address);
// Parses an IPv4/IPv6 literal ("localhost" means 127.0.0.1) into a socket address.
Result<sockaddr_storage> parse_ip_address(const std::string& host, uint16_t port);

}  // namespace mb::net
