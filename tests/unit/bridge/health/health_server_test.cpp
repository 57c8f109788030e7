// Tests for the health server over real sockets: a libuv loop runs the server on the test thread
// while a client thread talks to it with blocking POSIX sockets (every socket call has a timeout,
// and a guard timer stops the server, so every test ends in bounded time).
#include "bridge/health/health_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <string>
#include <thread>

namespace {

using mb::health::HealthServer;
using mb::health::HealthServerOptions;
using mb::health::HttpResponse;
using mb::health::ListenerState;
using mb::health::Metrics;
using mb::health::ReadinessReport;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kSocketTimeout{5};
constexpr std::uint64_t kGuardMs = 10000;

struct Reply {
    std::string raw;
    bool eof = false;  // the server closed the connection (rather than a timeout or reset)
    int status() const { return raw.size() >= 12 ? std::stoi(raw.substr(9, 3)) : 0; }
    std::string body() const {
        std::size_t end = raw.find("\r\n\r\n");
        return end == std::string::npos ? "" : raw.substr(end + 4);
    }
    bool has_header(const std::string& line) const {
        return raw.find("\r\n" + line + "\r\n") != std::string::npos;
    }
};

int connect_to(std::uint16_t port, bool ipv6 = false) {
    int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(kSocketTimeout.count()), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc;
    if (ipv6) {
        sockaddr_in6 address{};
        address.sin6_family = AF_INET6;
        address.sin6_port = htons(port);
        address.sin6_addr = in6addr_loopback;
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    } else {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
    if (rc != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

Reply read_reply(int fd) {
    Reply reply;
    char buffer[4096];
    while (true) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            reply.raw.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        reply.eof = n == 0;
        return reply;
    }
}

Reply ask(std::uint16_t port, std::string_view request) {
    int fd = connect_to(port);
    if (fd < 0) return {};
    send_all(fd, request);
    Reply reply = read_reply(fd);
    ::close(fd);
    return reply;
}

std::string request_for(std::string_view target, std::string_view method = "GET",
                        std::string_view host = "127.0.0.1") {
    return std::string(method) + " " + std::string(target) +
           " HTTP/1.1\r\nHost: " + std::string(host) + "\r\nUser-Agent: test\r\n\r\n";
}

class HealthServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN);
        ASSERT_EQ(uv_loop_init(&loop_), 0);
    }

    void TearDown() override {
        server_.reset();
        uv_run(&loop_, UV_RUN_DEFAULT);
        EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
    }

    // Starts a server on 127.0.0.1 and a free port.
    HealthServer& make_server(HealthServerOptions options = {}) {
        server_ = std::make_unique<HealthServer>(&loop_, metrics_, [this] { return report_; });
        options.port = 0;
        auto started = server_->start(options);
        EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
        return *server_;
    }

    // Runs `client(port)` on a thread while the loop turns; then stops the server and lets the
    // loop run until every handle has closed. Fails (and stops) after kGuardMs.
    void run_client(std::function<void(std::uint16_t)> client) {
        struct Context {
            HealthServer* server;
            uv_async_t done;
            uv_timer_t guard;
            bool guard_fired = false;
        } context{server_.get(), {}, {}};
        uv_async_init(&loop_, &context.done, [](uv_async_t* async) {
            auto* ctx = static_cast<Context*>(async->data);
            ctx->server->stop();
            uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
        });
        context.done.data = &context;
        uv_timer_init(&loop_, &context.guard);
        context.guard.data = &context;
        uv_timer_start(
            &context.guard,
            [](uv_timer_t* timer) {
                auto* ctx = static_cast<Context*>(timer->data);
                ctx->guard_fired = true;
                ctx->server->stop();
            },
            kGuardMs, 0);
        uv_unref(reinterpret_cast<uv_handle_t*>(&context.guard));

        std::uint16_t port = server_->port();
        std::thread thread([&] {
            client(port);
            uv_async_send(&context.done);
        });
        uv_run(&loop_, UV_RUN_DEFAULT);
        thread.join();
        uv_close(reinterpret_cast<uv_handle_t*>(&context.guard), nullptr);
        uv_run(&loop_, UV_RUN_DEFAULT);
        EXPECT_FALSE(context.guard_fired) << "the loop did not end in time";
        EXPECT_EQ(server_->open_connections(), 0u);
    }

    uv_loop_t loop_{};
    Metrics metrics_;
    ReadinessReport report_;
    std::unique_ptr<HealthServer> server_;
};

TEST_F(HealthServerTest, Healthz) {
    make_server();
    EXPECT_NE(server_->port(), 0);
    Reply reply, head;
    run_client([&](std::uint16_t port) {
        reply = ask(port, request_for("/healthz"));
        head = ask(port, request_for("/healthz", "HEAD"));
    });
    EXPECT_EQ(reply.status(), 200);
    EXPECT_TRUE(reply.eof);
    EXPECT_EQ(reply.body(), "ok\n");
    EXPECT_TRUE(reply.has_header("Content-Type: text/plain; charset=utf-8"));
    EXPECT_TRUE(reply.has_header("Connection: close"));
    EXPECT_EQ(head.status(), 200);
    EXPECT_TRUE(head.has_header("Content-Length: 3"));
    EXPECT_EQ(head.body(), "");
}

TEST_F(HealthServerTest, ReadyzWhenEveryListenerIsUp) {
    report_.listeners.push_back(
        ListenerState{"imap", "imap", "127.0.0.1:1143", true, "", "upstream.example:993", 0});
    make_server();
    Reply reply;
    run_client([&](std::uint16_t port) { reply = ask(port, request_for("/readyz")); });
    EXPECT_EQ(reply.status(), 200);
    EXPECT_TRUE(reply.has_header("Content-Type: application/json"));
    auto json = nlohmann::json::parse(reply.body());
    EXPECT_EQ(json["ready"], true);
    EXPECT_EQ(json["listeners"][0]["name"], "imap");
}

TEST_F(HealthServerTest, ReadyzWhenAListenerIsDown) {
    report_.listeners.push_back(
        ListenerState{"imap", "imap", "127.0.0.1:1143", true, "", "upstream.example:993", 0});
    report_.listeners.push_back(ListenerState{"smtp", "smtp", "127.0.0.1:1025", false, "in use",
                                              "upstream.example:993", 0});
    make_server();
    Reply reply;
    run_client([&](std::uint16_t port) { reply = ask(port, request_for("/readyz")); });
    EXPECT_EQ(reply.status(), 503);
    EXPECT_EQ(nlohmann::json::parse(reply.body())["ready"], false);
}

TEST_F(HealthServerTest, Metrics) {
    metrics_.add_server("imap");
    metrics_.session_opened("imap");
    make_server();
    Reply reply;
    run_client([&](std::uint16_t port) { reply = ask(port, request_for("/metrics")); });
    EXPECT_EQ(reply.status(), 200);
    EXPECT_TRUE(reply.has_header("Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    EXPECT_EQ(reply.body(), metrics_.render());
    EXPECT_NE(reply.body().find("mailbridge_sessions_active{server=\"imap\"} 1\n"),
              std::string::npos);
}

TEST_F(HealthServerTest, NotFoundAndMethodNotAllowed) {
    make_server();
    Reply missing, wrong;
    run_client([&](std::uint16_t port) {
        missing = ask(port, request_for("/nothing", "GET", "127.0.0.1:" + std::to_string(port)));
        wrong = ask(port, "POST /healthz HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    });
    EXPECT_EQ(missing.status(), 404);
    EXPECT_EQ(wrong.status(), 405);
    EXPECT_TRUE(wrong.has_header("Allow: GET, HEAD"));
}

TEST_F(HealthServerTest, AddedRoute) {
    make_server();
    server_->add_route("GET", "/auth/", [](const mb::protocol::http::Request& request) {
        HttpResponse response;
        response.body = "authorizing " + std::string(request.path().substr(6)) + "\n";
        return response;
    });
    Reply reply, rebound, portless;
    run_client([&](std::uint16_t port) {
        const std::string own = "localhost:" + std::to_string(port);
        reply = ask(port, request_for("/auth/alice?code=x", "GET", own));
        rebound =
            ask(port, request_for("/auth/alice", "GET", "evil.example:" + std::to_string(port)));
        portless = ask(port, request_for("/auth/alice"));
    });
    EXPECT_EQ(reply.status(), 200);
    EXPECT_EQ(reply.body(), "authorizing alice\n");
    EXPECT_EQ(rebound.status(), 421);
    EXPECT_EQ(portless.status(), 421);
}

TEST_F(HealthServerTest, MalformedAndOversizedRequests) {
    make_server();
    Reply garbage, too_many_bytes, long_target, body, version, method;
    run_client([&](std::uint16_t port) {
        garbage = ask(port, std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11));
        too_many_bytes =
            ask(port, "GET /healthz HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(9000, 'p') +
                          "\r\n\r\n");
        long_target = ask(port, request_for("/" + std::string(3000, 'a')));
        body = ask(port, "POST /healthz HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n" +
                             std::string(5000, 'b'));
        version = ask(port, "GET /healthz HTTP/2.0\r\n\r\n");
        method = ask(port, "BREW /healthz HTTP/1.1\r\n\r\n");
    });
    EXPECT_EQ(garbage.status(), 400);
    EXPECT_TRUE(garbage.eof);
    EXPECT_EQ(too_many_bytes.status(), 431);
    EXPECT_EQ(long_target.status(), 414);
    EXPECT_EQ(body.status(), 413);
    EXPECT_TRUE(body.eof);
    EXPECT_EQ(version.status(), 505);
    EXPECT_EQ(method.status(), 501);
}

TEST_F(HealthServerTest, RequestArrivingByteByByte) {
    make_server();
    Reply reply;
    run_client([&](std::uint16_t port) {
        int fd = connect_to(port);
        for (char c : request_for("/healthz")) {
            send_all(fd, std::string_view(&c, 1));
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        reply = read_reply(fd);
        ::close(fd);
    });
    EXPECT_EQ(reply.status(), 200);
}

TEST_F(HealthServerTest, SlowClientIsClosedAfterTheTimeout) {
    HealthServerOptions options;
    options.timeout = std::chrono::milliseconds(200);
    make_server(options);
    Reply reply;
    Clock::duration waited{};
    run_client([&](std::uint16_t port) {
        int fd = connect_to(port);
        send_all(fd, "GET /heal");
        Clock::time_point start = Clock::now();
        reply = read_reply(fd);
        waited = Clock::now() - start;
        ::close(fd);
    });
    EXPECT_TRUE(reply.eof);
    EXPECT_EQ(reply.raw, "");
    EXPECT_GE(waited, std::chrono::milliseconds(150));
    EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST_F(HealthServerTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
    HealthServerOptions options;
    options.max_connections = 2;
    make_server(options);
    Reply refused, first, second;
    Clock::duration waited{};
    run_client([&](std::uint16_t port) {
        int a = connect_to(port);
        int b = connect_to(port);
        int c = connect_to(port);
        Clock::time_point start = Clock::now();
        refused = read_reply(c);
        waited = Clock::now() - start;
        ::close(c);
        send_all(a, request_for("/healthz"));
        first = read_reply(a);
        ::close(a);
        send_all(b, request_for("/healthz"));
        second = read_reply(b);
        ::close(b);
    });
    EXPECT_TRUE(refused.eof);
    EXPECT_EQ(refused.raw, "");
    EXPECT_LT(waited, std::chrono::seconds(2));
    EXPECT_EQ(first.status(), 200);
    EXPECT_EQ(second.status(), 200);
}

TEST_F(HealthServerTest, StopClosesOpenConnections) {
    HealthServerOptions options;
    options.timeout = std::chrono::seconds(60);  // longer than the guard: only stop() can end it
    make_server(options);
    int idle = -1;
    int partial = -1;
    run_client([&](std::uint16_t port) {
        idle = connect_to(port);
        partial = connect_to(port);
        send_all(partial, "GET /healthz HTTP/1.1\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the server accept both
    });
    for (int fd : {idle, partial}) {
        ASSERT_GE(fd, 0);
        Reply reply = read_reply(fd);
        EXPECT_TRUE(reply.eof);
        EXPECT_EQ(reply.raw, "");
        ::close(fd);
    }
}

TEST_F(HealthServerTest, ManySequentialRequests) {
    make_server();
    int ok = 0;
    run_client([&](std::uint16_t port) {
        for (int i = 0; i < 100; ++i) ok += ask(port, request_for("/healthz")).status() == 200;
    });
    EXPECT_EQ(ok, 100);
}

TEST_F(HealthServerTest, ListensOnIpv6Loopback) {
    server_ = std::make_unique<HealthServer>(&loop_, metrics_, [this] { return report_; });
    HealthServerOptions options;
    options.host = "::1";
    options.port = 0;
    auto started = server_->start(options);
    if (!started.ok()) GTEST_SKIP() << "no IPv6 loopback: " << started.error().message;
    Reply reply;
    run_client([&](std::uint16_t port) {
        int fd = connect_to(port, true);
        send_all(fd, request_for("/healthz"));
        reply = read_reply(fd);
        ::close(fd);
    });
    EXPECT_EQ(reply.status(), 200);
}

TEST_F(HealthServerTest, BindFailureSaysWhatAndWhatToDo) {
    make_server();
    std::uint16_t port = server_->port();
    HealthServer second(&loop_, metrics_, nullptr);
    HealthServerOptions options;
    options.port = port;
    auto result = second.start(options);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(port) +
                                          " for the health endpoint: address already in use"),
              0u)
        << result.error().message;
    EXPECT_NE(result.error().message.find("health_listen"), std::string::npos);

    options.host = "example.com";
    auto by_name = second.start(options);
    ASSERT_FALSE(by_name.ok());
    EXPECT_NE(by_name.error().message.find("is not an IP address"), std::string::npos);
}

}  // namespace
