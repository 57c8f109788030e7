// Tests for the health routes without sockets: built-ins, 404/405, HEAD, added routes and their
// precedence, and failures inside handlers turning into 500.
#include "bridge/health/health_router.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using mb::health::HealthRouter;
using mb::health::HttpResponse;
using mb::health::ListenerState;
using mb::health::Metrics;
using mb::health::ReadinessReport;
using mb::protocol::http::Request;

Request request(std::string method, std::string target) {
    return Request{std::move(method), std::move(target), "HTTP/1.1", {{"Host", "h"}}};
}

HttpResponse status_only(int status) {
    HttpResponse response;
    response.status = status;
    return response;
}

std::string header(const HttpResponse& response, std::string_view name) {
    for (const auto& [n, v] : response.headers)
        if (n == name) return v;
    return "";
}

class HealthRouterTest : public ::testing::Test {
  protected:
    Metrics metrics_;
    ReadinessReport report_;
    HealthRouter router_{metrics_, [this] { return report_; }};
};

TEST_F(HealthRouterTest, Healthz) {
    HttpResponse response = router_.answer(request("GET", "/healthz"));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "ok\n");
    EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(router_.answer(request("HEAD", "/healthz")).status, 200);
    EXPECT_EQ(router_.answer(request("GET", "/healthz?probe=1")).status, 200);
    EXPECT_EQ(router_.answer(request("GET", "http://localhost:8025/healthz")).status, 200);
}

TEST_F(HealthRouterTest, ReadyzFollowsTheListeners) {
    report_.listeners.push_back(
        ListenerState{"imap", "imap", "127.0.0.1:1143", true, "", "upstream.example:993", 0});
    HttpResponse up = router_.answer(request("GET", "/readyz"));
    EXPECT_EQ(up.status, 200);
    EXPECT_EQ(up.content_type, "application/json");
    EXPECT_EQ(nlohmann::json::parse(up.body)["ready"], true);
    report_.listeners[0].up = false;
    HttpResponse down = router_.answer(request("GET", "/readyz"));
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(nlohmann::json::parse(down.body)["listeners"][0]["up"], false);
}

TEST_F(HealthRouterTest, Metrics) {
    metrics_.session_opened("imap");
    HttpResponse response = router_.answer(request("GET", "/metrics"));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(response.body, metrics_.render());
}

TEST_F(HealthRouterTest, UnknownPathAndWrongMethod) {
    EXPECT_EQ(router_.answer(request("GET", "/")).status, 404);
    EXPECT_EQ(router_.answer(request("GET", "/healthz/")).status, 404);
    EXPECT_EQ(router_.answer(request("GET", "/HEALTHZ")).status, 404);
    EXPECT_EQ(router_.answer(request("OPTIONS", "*")).status, 404);
    HttpResponse wrong = router_.answer(request("POST", "/metrics"));
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(header(wrong, "Allow"), "GET, HEAD");
    EXPECT_EQ(router_.answer(request("DELETE", "/readyz")).status, 405);
}

TEST_F(HealthRouterTest, AddedRoutesByLongestPrefix) {
    router_.add_route("GET", "/auth/", [](const Request& r) {
        HttpResponse response;
        response.body = "auth " + r.target.substr(6);
        return response;
    });
    router_.add_route("POST", "/auth/", [](const Request&) { return status_only(201); });
    router_.add_route("GET", "/auth/special", [](const Request&) { return status_only(202); });
    EXPECT_EQ(router_.answer(request("GET", "/auth/alice")).body, "auth alice");
    EXPECT_EQ(router_.answer(request("HEAD", "/auth/alice")).status, 200);
    EXPECT_EQ(router_.answer(request("POST", "/auth/alice")).status, 201);
    EXPECT_EQ(router_.answer(request("GET", "/auth/special/x")).status, 202);
    HttpResponse wrong = router_.answer(request("DELETE", "/auth/alice"));
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(header(wrong, "Allow"), "GET, HEAD, POST");
    EXPECT_EQ(header(router_.answer(request("POST", "/auth/special")), "Allow"), "GET, HEAD");
    EXPECT_EQ(router_.answer(request("GET", "/aut")).status, 404);
}

TEST_F(HealthRouterTest, BuiltinsWinOverAddedRoutes) {
    router_.add_route("GET", "/", [](const Request&) { return status_only(204); });
    EXPECT_EQ(router_.answer(request("GET", "/healthz")).status, 200);
    EXPECT_EQ(router_.answer(request("GET", "/anything")).status, 204);
}

TEST_F(HealthRouterTest, ThrowingHandlersGive500) {
    router_.add_route("GET", "/boom", [](const Request&) -> HttpResponse {
        throw std::runtime_error("secret-ish detail");
    });
    HttpResponse response = router_.answer(request("GET", "/boom"));
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.body.find("secret-ish"), std::string::npos);

    HealthRouter failing(metrics_, []() -> ReadinessReport { throw std::runtime_error("no"); });
    EXPECT_EQ(failing.answer(request("GET", "/readyz")).status, 500);
}

TEST(TargetPath, StripsQueryAndAuthority) {
    EXPECT_EQ(mb::health::target_path("/a?b"), "/a");
    EXPECT_EQ(mb::health::target_path("HTTP://host:1/x/y?z"), "/x/y");
    EXPECT_EQ(mb::health::target_path("https://host"), "/");
    EXPECT_EQ(mb::health::target_path("*"), "*");
}

}  // namespace

namespace {

TEST_F(HealthRouterTest, AddedRoutesAnswerOnlyTheirOwnHost) {
    router_.add_route("GET", "/auth/", [](const Request&) { return status_only(200); });
    router_.set_allowed_hosts(mb::health::AllowedHosts("127.0.0.1", 8025));
    auto with_host = [](std::string target, std::string host) {
        return Request{"GET", std::move(target), "HTTP/1.1", {{"Host", std::move(host)}}};
    };
    EXPECT_EQ(router_.answer(with_host("/auth/a", "127.0.0.1:8025")).status, 200);
    EXPECT_EQ(router_.answer(with_host("/auth/a", "localhost:8025")).status, 200);
    EXPECT_EQ(router_.answer(with_host("/auth/a", "evil.example:8025")).status, 421);
    EXPECT_EQ(router_.answer(with_host("/auth/a", "127.0.0.1:9999")).status, 421);
    EXPECT_EQ(router_.answer(with_host("/nosuch", "evil.example")).status, 421);
    EXPECT_EQ(router_.answer(Request{"GET", "/auth/a", "HTTP/1.0", {}}).status, 421);
    // Probes keep working with any Host.
    for (const char* path : {"/healthz", "/readyz", "/metrics"})
        EXPECT_NE(router_.answer(with_host(path, "evil.example")).status, 421) << path;
}

}  // namespace
