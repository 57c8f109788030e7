// HealthRouter: decides the answer to one parsed request. Built-in routes: GET /healthz,
// GET /readyz (JSON from the readiness provider; 200 when ready, else 503) and GET /metrics
// (Prometheus text). Later features add routes by method and path prefix (e.g. "GET", "/auth/")
// without editing the server. Every path but the built-in ones answers only to an allowed Host
// (421 otherwise), so pages reached through DNS rebinding get nothing. Owned by the HealthServer;
// the Metrics it reads must outlive it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/health/allowed_hosts.h"
#include "bridge/health/http_response.h"
#include "bridge/health/metrics.h"
#include "bridge/health/readiness.h"
#include "protocol/http/http_request_parser.h"

namespace mb::health {

using RouteHandler = std::function<HttpResponse(const protocol::http::Request&)>;

class HealthRouter {
  public:
    HealthRouter(const Metrics& metrics, ReadinessProvider readiness);

    // Answers `method` on every path that starts with `path_prefix`. A GET route also answers
    // HEAD. The built-in paths win; among added routes the longest matching prefix wins.
    void add_route(std::string method, std::string path_prefix, RouteHandler handler);

    // The Host values the added routes answer to; the server sets them when it listens. Until
    // then (a router used on its own) no Host is checked.
    void set_allowed_hosts(AllowedHosts hosts) { hosts_ = std::move(hosts); }
    const std::optional<AllowedHosts>& allowed_hosts() const { return hosts_; }

    // Never throws: a handler or provider that throws gives 500. Unknown path → 404; a known path
    // with a method it does not answer → 405 with Allow; a Host not allowed on a path that is not
    // built in → 421.
    HttpResponse answer(const protocol::http::Request& request) const;

  private:
    struct Route {
        std::string method;
        std::string path_prefix;
        RouteHandler handler;
    };

    HttpResponse answer_builtin(std::string_view path) const;
    HttpResponse answer_added(const protocol::http::Request& request, std::string_view path) const;

    const Metrics& metrics_;
    ReadinessProvider readiness_;
    std::vector<Route> routes_;
    std::optional<AllowedHosts> hosts_;
};

// The path of a request target: without the query, and without scheme and authority for an
// absolute-form target ("http://host/readyz?x" → "/readyz").
std::string_view target_path(std::string_view target);

}  // namespace mb::health
