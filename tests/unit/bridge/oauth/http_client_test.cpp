// Tests for the libcurl-on-libuv HTTP client against a real loopback server: answers, bodies,
// Retry-After, connection refused, timeouts, size cap, proxy use, and cancellation safety.
#include "bridge/oauth/http_client.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>

#include "tests/unit/bridge/oauth/loopback_http_server.h"

namespace mb::oauth {
namespace {

using namespace std::chrono_literals;
using test::LoopbackHttpServer;

// A port on 127.0.0.1 where nothing listens: bound once, then closed.
std::uint16_t closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

class HttpClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        uv_loop_init(&loop_);
        client_ = std::make_unique<HttpClient>(&loop_);
    }
    void TearDown() override {
        client_.reset();
        EXPECT_EQ(test::drain_and_close(&loop_), 0);
    }

    HttpRequest get(const std::string& url) {
        HttpRequest request;
        request.url = url;
        request.connect_timeout = 2s;
        request.total_timeout = 3s;
        return request;
    }

    std::optional<HttpResult> run(HttpRequest request) {
        std::optional<HttpResult> result;
        auto call =
            client_->start(std::move(request), [&](HttpResult r) { result = std::move(r); });
        EXPECT_TRUE(test::run_until(&loop_, [&] { return result.has_value(); }));
        return result;
    }

    uv_loop_t loop_;
    std::unique_ptr<HttpClient> client_;
    LoopbackHttpServer server_;
};

TEST_F(HttpClientTest, GetReturnsStatusAndBody) {
    server_.set_default({200, R"({"ok":true})"});
    auto result = run(get(server_.url("/path?q=1")));
    ASSERT_TRUE(result && result->ok()) << result->detail;
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, R"({"ok":true})");
    auto seen = server_.seen();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "GET");
    EXPECT_EQ(seen[0].target, "/path?q=1");
    EXPECT_EQ(seen[0].headers["accept"], "application/json");
    EXPECT_EQ(client_->active_requests(), 0u);
}

TEST_F(HttpClientTest, PostSendsFormBody) {
    server_.set_default({201, "{}"});
    auto request = get(server_.url("/token"));
    request.post = true;
    request.body = Secret("a=1&b=%20");
    auto result = run(std::move(request));
    ASSERT_TRUE(result && result->ok());
    EXPECT_EQ(result->status, 201);
    auto seen = server_.seen();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "POST");
    EXPECT_EQ(seen[0].body, "a=1&b=%20");
    EXPECT_EQ(seen[0].headers["content-type"], "application/x-www-form-urlencoded");
    EXPECT_EQ(seen[0].headers.count("expect"), 0u);
}

TEST_F(HttpClientTest, ErrorStatusAndRetryAfterArePassedOn) {
    server_.set_default({503, "busy", {"Retry-After: 7"}});
    auto result = run(get(server_.url("/")));
    ASSERT_TRUE(result && result->ok());
    EXPECT_EQ(result->status, 503);
    ASSERT_TRUE(result->retry_after.has_value());
    EXPECT_EQ(result->retry_after->count(), 7);
}

TEST_F(HttpClientTest, ConnectionRefused) {
    auto result = run(get("http://127.0.0.1:" + std::to_string(closed_port()) + "/token"));
    ASSERT_TRUE(result);
    EXPECT_EQ(result->failure, HttpFailure::connect);
    EXPECT_EQ(result->detail, "connection refused");
}

TEST_F(HttpClientTest, UnknownHost) {
    auto result = run(get("http://no-such-host.invalid/token"));
    ASSERT_TRUE(result);
    EXPECT_EQ(result->failure, HttpFailure::resolve);
}

TEST_F(HttpClientTest, SlowServerTimesOut) {
    server_.set_default({200, "{}", {}, 3s});
    auto request = get(server_.url("/slow"));
    request.total_timeout = 300ms;
    auto started = std::chrono::steady_clock::now();
    auto result = run(std::move(request));
    ASSERT_TRUE(result);
    EXPECT_EQ(result->failure, HttpFailure::timeout);
    EXPECT_EQ(result->detail, "no answer within 0.3 s");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(HttpClientTest, OversizedAnswerIsCut) {
    server_.set_default({200, std::string(kMaxHttpResponseBytes + 1, 'x')});
    auto result = run(get(server_.url("/big")));
    ASSERT_TRUE(result);
    EXPECT_EQ(result->failure, HttpFailure::too_large);
    server_.set_default({200, std::string(kMaxHttpResponseBytes, 'x')});
    auto fits = run(get(server_.url("/big")));
    ASSERT_TRUE(fits && fits->ok());
    EXPECT_EQ(fits->body.size(), kMaxHttpResponseBytes);
}

TEST_F(HttpClientTest, HttpsIsVerified) {
    // A plain HTTP server spoken to with TLS: the handshake fails, nothing is accepted.
    auto result = run(get("https://127.0.0.1:" + std::to_string(server_.port()) + "/"));
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->ok());
}

TEST_F(HttpClientTest, EnvironmentProxyIsIgnored) {
    ::setenv("http_proxy", "http://127.0.0.1:1", 1);
    ::setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
    server_.set_default({200, "{}"});
    auto result = run(get(server_.url("/direct")));
    ::unsetenv("http_proxy");
    ::unsetenv("HTTP_PROXY");
    ASSERT_TRUE(result && result->ok()) << result->detail;
    EXPECT_EQ(server_.seen().at(0).target, "/direct");
}

TEST_F(HttpClientTest, ConfiguredProxyGetsAConnectWithBasicCredentials) {
    // The loopback server plays the proxy. Even for an http:// endpoint the client opens a tunnel
    // (CONNECT), so the proxy never handles the request with the client secret itself; this
    // stand-in does not relay, so only the CONNECT is checked.
    server_.set_default({403, "{}"});
    auto request = get("http://127.0.0.1:9/token");
    HttpProxy proxy;
    proxy.url = server_.url("");
    proxy.auth = HttpProxy::Auth::basic;
    proxy.username = "user";
    proxy.password = Secret("pass");
    request.proxy = proxy;
    auto result = run(std::move(request));
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->ok());
    auto seen = server_.seen();
    ASSERT_GE(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "CONNECT");
    EXPECT_EQ(seen[0].target, "127.0.0.1:9");
    EXPECT_EQ(seen[0].headers["proxy-authorization"], "Basic dXNlcjpwYXNz");
}

TEST_F(HttpClientTest, UnreachableProxyIsAConnectFailure) {
    auto request = get("http://127.0.0.1:9/token");
    HttpProxy proxy;
    proxy.url = "http://127.0.0.1:" + std::to_string(closed_port());
    request.proxy = proxy;
    auto result = run(std::move(request));
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->ok());
}

TEST_F(HttpClientTest, ManyConcurrentRequests) {
    server_.set_default({200, "{}", {}, 50ms});
    int done = 0;
    std::vector<HttpCall> calls;
    for (int i = 0; i < 20; ++i)
        calls.push_back(client_->start(get(server_.url("/n")), [&](HttpResult r) {
            EXPECT_TRUE(r.ok());
            ++done;
        }));
    EXPECT_TRUE(test::run_until(&loop_, [&] { return done == 20; }));
    EXPECT_EQ(server_.requests(), 20);
}

TEST_F(HttpClientTest, CancelledCallIsNeverCalledBack) {
    server_.set_default({200, "{}", {}, 100ms});
    bool called = false;
    auto call = client_->start(get(server_.url("/")), [&](HttpResult) { called = true; });
    EXPECT_TRUE(call.active());
    EXPECT_TRUE(test::run_until(&loop_, [&] { return server_.seen().size() == 1; }));
    call.cancel();
    EXPECT_FALSE(call.active());
    test::run_for(&loop_, 300ms);
    EXPECT_FALSE(called);
    EXPECT_EQ(client_->active_requests(), 0u);
}

TEST_F(HttpClientTest, DroppedHandleCancels) {
    server_.set_default({200, "{}", {}, 100ms});
    auto flag = std::make_shared<bool>(false);
    {
        auto call = client_->start(get(server_.url("/")), [flag](HttpResult) { *flag = true; });
    }
    test::run_for(&loop_, 300ms);
    EXPECT_FALSE(*flag);
}

TEST_F(HttpClientTest, DestroyingTheClientCancelsEverything) {
    server_.set_default({200, "{}", {}, 100ms});
    bool called = false;
    auto call = client_->start(get(server_.url("/")), [&](HttpResult) { called = true; });
    EXPECT_TRUE(test::run_until(&loop_, [&] { return server_.seen().size() == 1; }));
    client_.reset();
    EXPECT_FALSE(call.active());
    test::run_for(&loop_, 300ms);
    EXPECT_FALSE(called);
}

TEST_F(HttpClientTest, CallbackMayStartAnotherRequest) {
    server_.set_default({200, "{}"});
    int done = 0;
    HttpCall second;
    auto first = client_->start(get(server_.url("/1")), [&](HttpResult) {
        ++done;
        second = client_->start(get(server_.url("/2")), [&](HttpResult r) {
            EXPECT_TRUE(r.ok());
            ++done;
        });
    });
    EXPECT_TRUE(test::run_until(&loop_, [&] { return done == 2; }));
}

TEST_F(HttpClientTest, CallbackMayDestroyTheClient) {
    server_.set_default({200, "{}"});
    bool called = false;
    auto call = client_->start(get(server_.url("/")), [&](HttpResult) {
        called = true;
        client_.reset();
    });
    EXPECT_TRUE(test::run_until(&loop_, [&] { return called; }));
}

}  // namespace
}  // namespace mb::oauth
