// CONNECT request building: see connect_request.h.
#include "protocol/http/connect_request.h"

#include "protocol/http/token_syntax.h"

namespace mb::protocol::http {

std::string connect_authority(std::string_view host, std::uint16_t port) {
    const bool ipv6 = host.find(':') != std::string_view::npos;
    std::string authority;
    if (ipv6) {
        authority.append("[").append(host).append("]");
    } else {
        authority.append(host);
    }
    return authority + ":" + std::to_string(port);
}

Result<Secret> connect_request(std::string_view host, std::uint16_t port,
                               const Secret& proxy_authorization) {
    if (host.empty() || port == 0) return make_error("CONNECT needs a host and a port");
    for (char c : host)
        if (is_control(c) || c == ' ' || c == '/' || c == '[' || c == ']' || c == '@')
            return make_error("host name for CONNECT contains a character not allowed in a host");
    for (char c : proxy_authorization.reveal())
        if (is_control(c) && c != '\t')
            return make_error("Proxy-Authorization contains a control character");
    const std::string authority = connect_authority(host, port);
    std::string request = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    if (!proxy_authorization.empty())
        request += "Proxy-Authorization: " + proxy_authorization.reveal() + "\r\n";
    request += "\r\n";
    return Secret(std::move(request));
}

}  // namespace mb::protocol::http
