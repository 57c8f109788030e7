// Builds a [[server]]'s UpstreamRoute: upstream TLS trust and the proxy target.
#include "bridge/daemon/upstream_route.h"

#include "bridge/config/secret_resolver.h"

namespace mb::daemon {
namespace {

protocol::http::ProxyAuthMode auth_mode(config::ProxyAuth auth) {
    switch (auth) {
        case config::ProxyAuth::none:
            return protocol::http::ProxyAuthMode::none;
        case config::ProxyAuth::basic:
            return protocol::http::ProxyAuthMode::basic;
        case config::ProxyAuth::digest:
            return protocol::http::ProxyAuthMode::digest;
        case config::ProxyAuth::any:
            return protocol::http::ProxyAuthMode::any;
    }
    return protocol::http::ProxyAuthMode::any;
}

Result<net::ProxyTarget> proxy_target(const config::ProxySettings& settings) {
    net::ProxyTarget target;
    target.name = settings.name;
    target.url = settings.url;
    target.host = settings.address.host;
    target.port = settings.address.port;
    target.https = settings.https;
    target.auth = auth_mode(settings.auth);
    target.username = settings.username;
    if (!settings.password.empty()) {
        auto password = config::resolve_secret(settings.password);
        if (!password)
            return make_error("proxy " + settings.name + " password: " + password.error().message);
        target.password = std::move(password.value());
    }
    target.ca_file = settings.ca_file;
    target.no_proxy = settings.no_proxy;
    if (auto tls = target.load_tls(); !tls) return tls.error();
    return target;
}

}  // namespace

Result<UpstreamRoute> prepare_upstream_route(const config::Config& config,
                                             const config::ServerSettings& server) {
    UpstreamRoute route;
    auto tls = net::TlsClientContext::create({server.ca_file, server.verify});
    if (!tls) return make_error("[[server]] " + server.name + ": " + tls.error().message);
    route.tls = std::make_shared<net::TlsClientContext>(std::move(tls.value()));
    if (!server.proxy.empty()) {
        const auto* settings = config.find_proxy(server.proxy);
        if (!settings)
            return make_error("[[server]] " + server.name + ": no [[proxy]] named " + server.proxy);
        auto proxy = proxy_target(*settings);
        if (!proxy) return make_error("[[server]] " + server.name + ": " + proxy.error().message);
        route.proxy = std::move(proxy.value());
    }
    return route;
}

}  // namespace mb::daemon
