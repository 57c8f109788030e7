// HealthServer: the HTTP/1.1 health endpoint (health_listen) on the daemon's libuv loop thread.
// Routes come from HealthRouter (/healthz, /readyz, /metrics, plus added routes). Every answer
// ends its connection (Connection: close): no keep-alive, no pipelining, no request bodies.
// Limits: the parser's head limits, a per-connection timeout, and a maximum number of open
// connections (further ones are closed at once). Owned by the daemon. It owns its listening
// handle and the open connections; after stop() (or destruction) every handle closes itself as
// the loop runs, so the server object may be destroyed right away and the loop can end.
// As with every libuv socket, the process must ignore SIGPIPE (the daemon does).
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "bridge/health/health_router.h"
#include "bridge/net/uv_handle.h"
#include "protocol/result.h"

namespace mb::health {

class HealthConnection;

struct HealthServerOptions {
    std::string host = "127.0.0.1";  // IP literal (IPv4 or IPv6 without brackets) or "localhost"
    std::uint16_t port = 8025;       // 0 = any free port (see HealthServer::port())
    // The request head must arrive within this; the answer (and the client's close) get as long.
    std::chrono::milliseconds timeout{5000};
    // Open connections at most; a connection beyond this is closed as soon as it is accepted.
    std::size_t max_connections = 64;
};

class HealthServer {
  public:
    // `metrics` must outlive the server; `readiness` is called on the loop thread per /readyz.
    HealthServer(uv_loop_t* loop, const Metrics& metrics, ReadinessProvider readiness);
    HealthServer(const HealthServer&) = delete;
    HealthServer& operator=(const HealthServer&) = delete;
    ~HealthServer();

    // See HealthRouter::add_route; may be called before or after start().
    void add_route(std::string method, std::string path_prefix, RouteHandler handler);

    // Binds and listens. Error: "cannot listen on 127.0.0.1:8025 for the health endpoint:
    // address already in use (…)".
    Result<void> start(const HealthServerOptions& options);
    // Closes the listener and every open connection; idempotent.
    void stop();

    // The bound port (useful with port 0); 0 before start().
    std::uint16_t port() const { return port_; }
    std::size_t open_connections() const { return connections_.size(); }
    // The Host/Origin values it answers to (health_listen and loopback names, with the bound
    // port); allows nothing before start().
    const AllowedHosts& allowed_hosts() const { return allowed_hosts_; }

  private:
    static void on_connection(uv_stream_t* listener, int status);
    void accept_one();
    std::string answer(const protocol::http::ParseResult& result) const;

    uv_loop_t* loop_;
    HealthRouter router_;
    HealthServerOptions options_;
    net::UvHandle<uv_tcp_t> listener_;
    std::uint16_t port_ = 0;
    AllowedHosts allowed_hosts_;
    std::unordered_set<HealthConnection*> connections_;
};

}  // namespace mb::health
