// UpstreamRoute: the upstream side of one [[server]] made ready to dial: the TLS trust its
// upstream is verified against and its [[proxy]] (password resolved, proxy TLS loaded). Built by
// the daemon for each listener and by `mailbridge test`, so both dial exactly the same way.
#pragma once

#include <memory>
#include <optional>

#include "bridge/config/config_model.h"
#include "bridge/net/proxy_tunnel.h"
#include "bridge/net/tls_context.h"
#include "protocol/result.h"

namespace mb::daemon {

struct UpstreamRoute {
    std::shared_ptr<net::TlsClientContext> tls;
    std::optional<net::ProxyTarget> proxy;  // nullopt: direct
};

// Resolves the proxy password (a command secret may take a moment: call it off the loop or
// before it turns). Errors name the server and what to fix.
Result<UpstreamRoute> prepare_upstream_route(const config::Config& config,
                                             const config::ServerSettings& server);

}  // namespace mb::daemon
