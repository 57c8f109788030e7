// The Host and Origin values the health endpoint answers to (see allowed_hosts.h).
#include "bridge/health/allowed_hosts.h"

#include <algorithm>

namespace mb::health {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::string authority(std::string_view host, std::uint16_t port) {
    const bool ipv6 = host.find(':') != std::string_view::npos;
    return lower(ipv6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" +
           std::to_string(port);
}

}  // namespace

AllowedHosts::AllowedHosts(std::string_view host, std::uint16_t port) {
    for (std::string_view name : {host, std::string_view("127.0.0.1"), std::string_view("::1"),
                                  std::string_view("localhost")}) {
        std::string entry = authority(name, port);
        if (std::find(hosts_.begin(), hosts_.end(), entry) == hosts_.end())
            hosts_.push_back(std::move(entry));
    }
}

bool AllowedHosts::allows_host(std::optional<std::string_view> host) const {
    if (!host) return false;
    return std::find(hosts_.begin(), hosts_.end(), lower(*host)) != hosts_.end();
}

bool AllowedHosts::allows_origin(std::string_view origin) const {
    constexpr std::string_view scheme = "http://";
    if (origin.size() <= scheme.size() || lower(origin.substr(0, scheme.size())) != scheme)
        return false;
    return allows_host(origin.substr(scheme.size()));
}

}  // namespace mb::health
