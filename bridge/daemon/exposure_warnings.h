// Warnings for listeners that would carry passwords or health data in clear text beyond this
// machine: a [[server]] with local_tls = "none", or health_listen (never TLS), bound to an address
// that is not loopback. Pure: the daemon logs what these return at start and on reload.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bridge/config/config_model.h"

namespace mb::daemon {

// True for 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z) and the name "localhost"; false for every
// other name or address, the wildcard ones ("0.0.0.0", "::", "") included.
bool is_loopback_host(std::string_view host);

// One warning per exposed listener of `next`, naming it and what to do. With `previous` (a
// reload) only listeners that are new, or whose address or local_tls changed, are reported.
std::vector<std::string> exposure_warnings(const config::Config& next,
                                           const config::Config* previous = nullptr);

}  // namespace mb::daemon
