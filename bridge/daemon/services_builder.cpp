// build_services (see services_builder.h).
#include "bridge/daemon/services_builder.h"

#include <spdlog/spdlog.h>

#include "bridge/session/account_directory.h"
#include "bridge/session/local_password_checker.h"
#include "bridge/session/login_guard.h"
#include "bridge/session/upstream_backoff.h"

namespace mb::daemon {

Result<std::shared_ptr<const session::SessionServices>> build_services(
    const ServiceParts& parts, const config::ServerSettings& server,
    std::shared_ptr<const config::Config> config,
    std::shared_ptr<session::AccountDirectory> directory,
    std::optional<Result<UpstreamRoute>> prepared_route) {
    auto services = std::make_shared<session::SessionServices>();
    services->loop = parts.loop;
    services->config = config;
    services->server = &server;
    services->directory = std::move(directory);
    services->passwords = parts.passwords;
    services->tokens = parts.tokens;
    services->metrics = parts.metrics;
    services->cache = parts.cache;
    services->secrets = parts.secrets;
    if (parts.backoff)
        parts.backoff->set_longest(std::chrono::seconds(config->daemon.upstream_backoff_max));
    services->backoff = config->daemon.upstream_backoff_max > 0 ? parts.backoff : nullptr;
    if (parts.guard)
        parts.guard->set_longest_delay(std::chrono::seconds(config->daemon.failed_login_block_max));
    services->guard = parts.guard;
    services->on_login = parts.on_login;
    services->on_proxy = parts.on_proxy;
    auto route =
        prepared_route ? std::move(*prepared_route) : prepare_upstream_route(*config, server);
    if (!route) return route.error();
    if (!server.verify)
        spdlog::warn(
            "[[server]] {}: verify = false: the upstream certificate and hostname "
            "are NOT checked",
            server.name);
    services->upstream_tls = std::move(route->tls);
    services->proxy = std::move(route->proxy);
    if (server.local_tls != config::LocalTls::none) {
        auto local = net::TlsServerContext::create(server.local_cert, server.local_key);
        if (!local) return make_error("[[server]] " + server.name + ": " + local.error().message);
        services->local_tls = std::make_shared<net::TlsServerContext>(std::move(local.value()));
    }
    return std::shared_ptr<const session::SessionServices>(std::move(services));
}

}  // namespace mb::daemon
