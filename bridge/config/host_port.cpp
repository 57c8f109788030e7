// Address and proxy-URL parsing for the config loader (see host_port.h), and HostPort::to_string.
#include "bridge/config/host_port.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>

namespace mb::config {
namespace {

constexpr std::string_view address_example = "write HOST:PORT, e.g. 127.0.0.1:1143 or [::1]:1143";

bool is_host_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

Result<uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
        value > 65535)
        return make_error("port \"" + std::string(text) + "\" is not a number from 1 to 65535");
    return static_cast<uint16_t>(value);
}

Result<std::string> check_bare_host(std::string_view host) {
    if (host.empty()) return make_error("the host is empty; " + std::string(address_example));
    if (host.find(':') != std::string_view::npos)
        return make_error("an IPv6 address needs brackets, e.g. [::1]:1143");
    if (host.size() > 253) return make_error("the host name is longer than 253 characters");
    for (char c : host)
        if (!is_host_name_char(c))
            return make_error("the host \"" + std::string(host) +
                              "\" contains characters not allowed in a host name or address");
    return std::string(host);
}

// Splits "host:port" / "[v6]:port"; default_port (0 = none) applies when no port is written.
Result<HostPort> split_host_port(std::string_view text, uint16_t default_port) {
    if (text.empty()) return make_error("the address is empty; " + std::string(address_example));
    std::string_view host;
    std::string_view rest;
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            return make_error("\"[\" without \"]\"; " + std::string(address_example));
        host = text.substr(1, close - 1);
        in6_addr parsed{};
        if (inet_pton(AF_INET6, std::string(host).c_str(), &parsed) != 1)
            return make_error("\"" + std::string(host) + "\" is not an IPv6 address");
        rest = text.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return make_error("unexpected text after \"]\"; " + std::string(address_example));
    } else {
        auto colon = text.rfind(':');
        if (colon != std::string_view::npos && text.find(':') != colon)
            return make_error("an IPv6 address needs brackets, e.g. [::1]:1143");
        host = text.substr(0, colon == std::string_view::npos ? text.size() : colon);
        rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
        auto checked = check_bare_host(host);
        if (!checked) return checked.error();
    }
    HostPort result{std::string(host), default_port};
    if (rest.empty()) {
        if (default_port == 0) return make_error("no port given; " + std::string(address_example));
        return result;
    }
    auto port = parse_port(rest.substr(1));
    if (!port) return port.error();
    result.port = *port;
    return result;
}

}  // namespace

std::string HostPort::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

Result<HostPort> parse_host_port(std::string_view text) {
    return split_host_port(text, 0);
}

Result<ProxyUrl> parse_proxy_url(std::string_view url) {
    ProxyUrl result;
    std::string_view rest;
    if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else if (url.starts_with("https://")) {
        result.https = true;
        rest = url.substr(8);
    } else {
        return make_error(
            "must start with http:// (plain to the proxy) or https:// (TLS to the "
            "proxy)");
    }
    if (rest.ends_with('/')) rest.remove_suffix(1);
    if (rest.find('@') != std::string_view::npos)
        return make_error("must not contain credentials; put them in username and password");
    if (rest.find_first_of("/?#") != std::string_view::npos)
        return make_error(
            "must be only a scheme, host and port, e.g. http://proxy.example.com:3128");
    auto address = split_host_port(rest, result.https ? 443 : 80);
    if (!address) return address.error();
    result.address = std::move(address.value());
    return result;
}

}  // namespace mb::config
