// Socket address helpers: see socket_address.h.
#include "bridge/net/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace mb::net {

bool is_ip_literal(std::string_view host) {
    std::string text(host);
    in6_addr v6{};
    in_addr v4{};
    return inet_pton(AF_INET, text.c_str(), &v4) == 1 ||
           inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

std::string format_host_port(std::string_view host, uint16_t port) {
    std::string text;
    if (host.find(':') != std::string_view::npos) {
        text.append("[").append(host).append("]");
    } else {
        text.append(host);
    }
    return text + ":" + std::to_string(port);
}

std::string format_sockaddr(const sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
        return format_host_port(text, ntohs(v4->sin_port));
    }
    if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        return format_host_port(text, ntohs(v6->sin6_port));
    }
    return "unknown address";
}

Result<sockaddr_storage> parse_ip_address(const std::string& host, uint16_t port) {
    const std::string literal = host == "localhost" ? "127.0.0.1" : host;
    sockaddr_storage storage{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    if (inet_pton(AF_INET, literal.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return storage;
    }
    storage = {};
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET6, literal.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return storage;
    }
    return make_error("\"" + host +
                      "\" is not an IP address (write an address such as 127.0.0.1 or ::1)");
}

}  // namespace mb::net
