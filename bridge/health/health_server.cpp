// HealthServer: listener, connection bookkeeping and the glue between parser results, the
// router and the wire. See health_server.h.
#include "bridge/health/health_server.h"

#include <spdlog/spdlog.h>

#include "bridge/health/health_connection.h"
#include "bridge/net/socket_address.h"

namespace mb::health {
namespace {

constexpr int kListenBacklog = 128;

}  // namespace

HealthServer::HealthServer(uv_loop_t* loop, const Metrics& metrics, ReadinessProvider readiness)
    : loop_(loop), router_(metrics, std::move(readiness)) {}

HealthServer::~HealthServer() {
    stop();
}

void HealthServer::add_route(std::string method, std::string path_prefix, RouteHandler handler) {
    router_.add_route(std::move(method), std::move(path_prefix), std::move(handler));
}

Result<void> HealthServer::start(const HealthServerOptions& options) {
    const std::string address = net::format_host_port(options.host, options.port);
    auto failure = [&](std::string reason) {
        listener_.close();
        return make_error("cannot listen on " + address + " for the health endpoint: " + reason);
    };
    if (listener_.is_open()) return failure("the endpoint is already listening");
    Result<sockaddr_storage> socket_address = net::parse_ip_address(options.host, options.port);
    if (!socket_address) return failure(socket_address.error().message);

    int rc = listener_.open([&](uv_tcp_t* tcp) { return uv_tcp_init(loop_, tcp); });
    if (rc == 0) {
        listener_.get()->data = this;
        rc = uv_tcp_bind(listener_.get(), reinterpret_cast<const sockaddr*>(&*socket_address), 0);
    }
    if (rc == 0)
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), kListenBacklog,
                       &on_connection);
    if (rc < 0) {
        return failure(std::string(uv_strerror(rc)) +
                       " (choose another [daemon] health_listen, or set it to \"\" to turn the "
                       "endpoint off)");
    }
    sockaddr_storage bound{};
    int length = sizeof bound;
    uv_tcp_getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &length);
    port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                        : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    options_ = options;
    allowed_hosts_ = AllowedHosts(options.host, port_);
    router_.set_allowed_hosts(allowed_hosts_);
    spdlog::info("health endpoint listening on {}",
                 net::format_sockaddr(reinterpret_cast<sockaddr*>(&bound)));
    return {};
}

void HealthServer::stop() {
    listener_.close();
    for (HealthConnection* connection : connections_) {
        connection->detach();
        connection->close();
    }
    connections_.clear();
}

void HealthServer::on_connection(uv_stream_t* listener, int status) {
    auto* self = static_cast<HealthServer*>(listener->data);
    if (!self) return;
    if (status < 0) {
        spdlog::warn("health endpoint: accepting a connection failed: {}", uv_strerror(status));
        return;
    }
    self->accept_one();
}

void HealthServer::accept_one() {
    auto* listener = reinterpret_cast<uv_stream_t*>(listener_.get());
    if (connections_.size() >= options_.max_connections) {
        HealthConnection* refused =
            HealthConnection::accept(loop_, listener, options_.timeout, nullptr, nullptr);
        if (refused) refused->close();
        spdlog::debug("health endpoint: refused a connection: {} connections are open",
                      connections_.size());
        return;
    }
    HealthConnection* connection = HealthConnection::accept(
        loop_, listener, options_.timeout,
        [this](const protocol::http::ParseResult& result) { return answer(result); },
        [this](HealthConnection* finished) { connections_.erase(finished); });
    if (!connection) return;
    connections_.insert(connection);
    connection->start();
}

std::string HealthServer::answer(const protocol::http::ParseResult& result) const {
    if (const auto* error = std::get_if<protocol::http::ParseError>(&result)) {
        spdlog::debug("health endpoint: refused a request: {} {}", error->status, error->reason);
        return serialize(plain_response(error->status, error->reason), false);
    }
    const protocol::http::Request& request = std::get<protocol::http::Done>(result).request;
    HttpResponse response = router_.answer(request);
    spdlog::debug("health endpoint: {} {} -> {}", request.method, target_path(request.target),
                  response.status);
    return serialize(response, request.method == "HEAD");
}

}  // namespace mb::health
