// AllowedHosts: the Host (and Origin) values the health endpoint answers to, so a web page that
// reaches it through DNS rebinding (its own name resolving to 127.0.0.1) is refused: the
// configured health_listen host:port, 127.0.0.1:PORT, [::1]:PORT and localhost:PORT. Pure value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::health {

class AllowedHosts {
  public:
    AllowedHosts() = default;  // allows nothing
    // `host` as configured (IPv6 without brackets), `port` the bound port.
    AllowedHosts(std::string_view host, std::uint16_t port);

    // A Host header value ("127.0.0.1:8025", "[::1]:8025", "LOCALHOST:8025"); the port must be
    // given and match. A missing header is not allowed.
    bool allows_host(std::optional<std::string_view> host) const;
    // An Origin header value: "http://" followed by an allowed host.
    bool allows_origin(std::string_view origin) const;

  private:
    std::vector<std::string> hosts_;  // lower case, "host:port" / "[v6]:port"
};

}  // namespace mb::health
