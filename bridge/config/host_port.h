// Parsing of the address forms the configuration accepts: "host:port", "[v6]:port" and proxy
// URLs "http://host[:port]" / "https://host[:port]". Pure functions; used by the config loader.
#pragma once

#include <string_view>

#include "bridge/config/config_model.h"
#include "protocol/result.h"

namespace mb::config {

// "host:port" or "[ipv6]:port" with a port from 1 to 65535. The error says what is wrong with
// the text (the caller names the key).
Result<HostPort> parse_host_port(std::string_view text);

struct ProxyUrl {
    bool https = false;
    HostPort address;
};

// "http://host[:port][/]" or "https://host[:port][/]"; the port defaults to 80 / 443. Credentials
// in the URL are refused (they belong in username/password, where they are treated as secrets).
Result<ProxyUrl> parse_proxy_url(std::string_view url);

}  // namespace mb::config
