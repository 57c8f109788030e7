// HealthRouter: built-in health routes and the added-route table. See health_router.h.
#include "bridge/health/health_router.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace mb::health {
namespace {

constexpr std::string_view kBuiltinPaths[] = {"/healthz", "/readyz", "/metrics"};

bool is_builtin(std::string_view path) {
    for (std::string_view p : kBuiltinPaths)
        if (p == path) return true;
    return false;
}

bool answers(std::string_view route_method, std::string_view request_method) {
    return route_method == request_method || (route_method == "GET" && request_method == "HEAD");
}

HttpResponse method_not_allowed(std::string allow) {
    HttpResponse response = plain_response(405);
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

}  // namespace

std::string_view target_path(std::string_view target) {
    target = target.substr(0, target.find('?'));
    for (std::string_view scheme : {"http://", "https://"}) {
        if (!starts_with_ignoring_case(target, scheme)) continue;
        std::string_view rest = target.substr(scheme.size());
        std::size_t slash = rest.find('/');
        return slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    }
    return target;
}

HealthRouter::HealthRouter(const Metrics& metrics, ReadinessProvider readiness)
    : metrics_(metrics), readiness_(std::move(readiness)) {}

void HealthRouter::add_route(std::string method, std::string path_prefix, RouteHandler handler) {
    routes_.push_back(Route{std::move(method), std::move(path_prefix), std::move(handler)});
}

HttpResponse HealthRouter::answer(const protocol::http::Request& request) const {
    std::string_view path = target_path(request.target);
    try {
        if (is_builtin(path)) {
            if (!answers("GET", request.method)) return method_not_allowed("GET, HEAD");
            return answer_builtin(path);
        }
        if (hosts_ && !hosts_->allows_host(request.header("Host")))
            return plain_response(421,
                                  "this endpoint answers only to its own address (Host "
                                  "127.0.0.1, [::1] or localhost with its port)");
        return answer_added(request, path);
    } catch (const std::exception& e) {
        spdlog::error("health endpoint: answering {} failed: {}", path, e.what());
        return plain_response(500, "internal error; see the mailbridge log");
    }
}

HttpResponse HealthRouter::answer_builtin(std::string_view path) const {
    if (path == "/healthz") return plain_response(200, "ok");
    if (path == "/metrics") {
        HttpResponse response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = metrics_.render();
        return response;
    }
    ReadinessReport report = readiness_ ? readiness_() : ReadinessReport{};
    HttpResponse response;
    response.status = report.ready() ? 200 : 503;
    response.content_type = "application/json";
    response.body = to_json_text(report);
    return response;
}

HttpResponse HealthRouter::answer_added(const protocol::http::Request& request,
                                        std::string_view path) const {
    const Route* best = nullptr;
    for (const Route& route : routes_) {
        if (!path.starts_with(route.path_prefix)) continue;
        if (!best || route.path_prefix.size() > best->path_prefix.size()) best = &route;
    }
    if (!best) return plain_response(404);
    std::string allow;
    for (const Route& route : routes_) {
        if (route.path_prefix != best->path_prefix) continue;
        if (answers(route.method, request.method)) return route.handler(request);
        allow += (allow.empty() ? "" : ", ") + route.method;
        if (route.method == "GET") allow += ", HEAD";
    }
    return method_not_allowed(std::move(allow));
}

}  // namespace mb::health
