// build_services: the SessionServices of one [[server]] for one configuration generation — the
// daemon's long-lived parts (ServiceParts) plus what the server's settings ask for: the upstream
// TLS context and proxy (prepared by prepare_upstream_route) and the local TLS context.
// The result is shared by the listener and its sessions; a reload builds a new one.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>

#include "bridge/config/config_model.h"
#include "bridge/daemon/upstream_route.h"
#include "bridge/session/session_services.h"
#include "protocol/result.h"

namespace mb::daemon {

// What every listener's services share; all owned by the daemon and outliving the sessions.
struct ServiceParts {
    uv_loop_t* loop = nullptr;
    std::shared_ptr<session::LocalPasswordChecker> passwords;
    oauth::TokenManager* tokens = nullptr;
    health::Metrics* metrics = nullptr;
    store::CacheWriter* cache = nullptr;          // null: no metadata cache
    oauth::SecretCache* secrets = nullptr;        // upstream passwords
    session::UpstreamBackoff* backoff = nullptr;  // its longest delay follows the configuration
    session::LoginGuard* guard = nullptr;         // likewise
    session::LoginObserver on_login;
    session::ProxyObserver on_proxy;
};

// Also sets the backoff's and the guard's longest delays from `config`. `prepared_route` is the
// route a reload prepared on the worker pool; without it the route is prepared here (at start,
// before the loop turns). Errors name the server and what to fix.
Result<std::shared_ptr<const session::SessionServices>> build_services(
    const ServiceParts& parts, const config::ServerSettings& server,
    std::shared_ptr<const config::Config> config,
    std::shared_ptr<session::AccountDirectory> directory,
    std::optional<Result<UpstreamRoute>> prepared_route = std::nullopt);

}  // namespace mb::daemon
