// The proxy tunnel on a real loop against an in-test proxy (TestProxyServer): Digest after a 407
// with a body, the greeting that arrives with the 200, reconnect after "Connection: close",
// Basic, implicit TLS to an upstream through the tunnel, an https proxy, strict modes, stale
// nonces, every refusal's message, unreachable and silent proxies, and no_proxy.
#include "bridge/net/proxy_tunnel.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "bridge/net/tcp_listener.h"
#include "bridge/net/tls_stream.h"
#include "bridge/net/upstream_dialer.h"
#include "loop_fixture.h"
#include "test_certificates.h"
#include "test_proxy_server.h"

namespace mb::net {
namespace {

using namespace std::chrono_literals;
using protocol::http::ProxyAuthMode;
using testing::digest_field;
using testing::expected_md5_digest;
using testing::LoopTest;
using testing::ProxyConnection;
using testing::test_pki;
using testing::TestProxyServer;

constexpr const char* kUser = "proxyuser";
constexpr const char* kPassword = "proxy-pass-1";
constexpr const char* kRealm = "test-realm";

std::string digest_407(const std::string& nonce, bool close = false, bool stale = false) {
    std::string body = "<html>" + std::string(3000, 'x') + "</html>";
    return "HTTP/1.1 407 Proxy Authentication Required\r\n"
           "Proxy-Authenticate: Digest realm=\"" +
           std::string(kRealm) + "\", nonce=\"" + nonce + "\", qop=\"auth\"" +
           (stale ? ", stale=true" : ", stale=false") +
           "\r\nProxy-Authenticate: Basic realm=\"test-realm\"\r\n" +
           (close ? "Connection: close\r\n" : "") +
           "Content-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

bool digest_valid(const std::string& head) {
    return head.find("Proxy-Authorization: Digest ") != std::string::npos &&
           digest_field(head, "response") ==
               expected_md5_digest(kUser, kRealm, kPassword, "CONNECT", head);
}

class ProxyTunnelTest : public LoopTest {
  protected:
    void TearDown() override {
        stream_.reset();
        dialer_.reset();
        upstream_.reset();
        upstream_listener_.reset();
        LoopTest::TearDown();
    }

    ProxyTarget proxy_at(uint16_t port, ProxyAuthMode auth = ProxyAuthMode::any,
                         bool https = false) {
        ProxyTarget proxy;
        proxy.name = "corp";
        proxy.host = "127.0.0.1";
        proxy.port = port;
        proxy.https = https;
        proxy.url = std::string(https ? "https" : "http") + "://127.0.0.1:" + std::to_string(port);
        proxy.auth = auth;
        proxy.username = kUser;
        proxy.password = Secret(kPassword);
        proxy.ca_file = test_pki().ca_cert;
        return proxy;
    }

    // Dials host:port through `proxy` (plain upstream unless tls is given) and waits for the end.
    void dial(std::optional<ProxyTarget> proxy, uint16_t port,
              const TlsClientContext* tls = nullptr, std::chrono::milliseconds timeout = 5s,
              std::string host = "127.0.0.1") {
        dialer_ = std::make_unique<UpstreamDialer>(&loop_);
        DialTarget target;
        target.host = std::move(host);
        target.port = port;
        target.implicit_tls = tls != nullptr;
        target.tls = tls;
        target.proxy = std::move(proxy);
        finished_ = false;
        dialer_->dial(target, timeout,
                      [this](std::unique_ptr<ByteStream> stream, std::optional<DialError> error) {
                          stream_ = std::move(stream);
                          error_ = std::move(error);
                          finished_ = true;
                      });
        run_until([&] { return finished_; });
    }

    // Reads from stream_ until `expected` bytes arrived.
    std::string read(std::size_t expected) {
        std::string received;
        stream_->set_handlers({[&](std::string_view bytes) { received.append(bytes); }, {}, {}});
        stream_->start_reading();
        run_until([&] { return received.size() >= expected; });
        stream_->stop_reading();
        return received;
    }

    // An upstream echo server on the loop, TLS with the test PKI.
    uint16_t start_tls_upstream() {
        auto listener = TcpListener::listen(&loop_, "127.0.0.1", 0, [this](auto plain) {
            auto context = TlsServerContext::create(test_pki().server_cert, test_pki().server_key);
            auto channel = TlsChannel::server(*context);
            upstream_ = std::make_unique<TlsStream>(std::move(plain), std::move(channel).value());
            upstream_->set_handlers(
                {[this](std::string_view bytes) { upstream_->write(bytes); }, {}, {}});
            upstream_->start_reading();
        });
        EXPECT_TRUE(listener.ok());
        upstream_listener_ = std::move(listener).value();
        return upstream_listener_->port();
    }

    std::unique_ptr<UpstreamDialer> dialer_;
    std::unique_ptr<ByteStream> stream_;
    std::optional<DialError> error_;
    bool finished_ = false;
    std::unique_ptr<TcpListener> upstream_listener_;
    std::unique_ptr<ByteStream> upstream_;
    TestProxyServer* proxy_ = nullptr;  // for scripts that record requests
};

TEST_F(ProxyTunnelTest, DigestAfter407WithBodyAndGreetingInTheSameRead) {
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        auto first = c.read_head();
        if (!first) return;
        c.write(digest_407("nonce-1"));
        auto second = c.read_head();
        if (!second) return;
        if (!digest_valid(*second)) {
            c.write("HTTP/1.1 407 Wrong\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        c.write("HTTP/1.1 200 Connection established\r\n\r\n* OK greeting\r\n");
        c.echo();
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port()), 993, nullptr, 5s, "imap.example.com");
    ASSERT_FALSE(error_) << error_->message;
    ASSERT_TRUE(stream_);
    EXPECT_EQ(read(15), "* OK greeting\r\n");
    stream_->write("a1 NOOP\r\n");
    EXPECT_EQ(read(9), "a1 NOOP\r\n");

    const auto& timings = dialer_->timings();
    EXPECT_EQ(timings.proxy, "corp");
    EXPECT_EQ(timings.proxy_auth_scheme, "Digest MD5");
    EXPECT_TRUE(timings.proxy_connect.has_value());
    EXPECT_TRUE(timings.proxy_tunnel.has_value());
    EXPECT_EQ(proxy.connections(), 1);
}

TEST_F(ProxyTunnelTest, RequestsCarryAuthorityAndHost) {
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        while (auto head = c.read_head()) {
            proxy_->record(*head);
            if (head->find("Proxy-Authorization") == std::string::npos) {
                c.write(digest_407("n"));
                continue;
            }
            c.write("HTTP/1.1 200 OK\r\n\r\n");
            c.echo();
            return;
        }
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port()), 993, nullptr, 5s, "::1");
    ASSERT_FALSE(error_) << error_->message;
    auto requests = proxy.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0], "CONNECT [::1]:993 HTTP/1.1\r\nHost: [::1]:993\r\n\r\n");
    EXPECT_NE(requests[1].find("uri=\"[::1]:993\""), std::string::npos) << requests[1];
    EXPECT_TRUE(digest_valid(requests[1]));
}

TEST_F(ProxyTunnelTest, ReconnectsWhenTheProxyClosesAfter407) {
    TestProxyServer proxy([&](ProxyConnection& c, int index) {
        auto head = c.read_head();
        if (!head) return;
        if (index == 0) {
            c.write(digest_407("nonce-close", true));
            return;  // closes the connection
        }
        if (!digest_valid(*head)) {
            c.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        c.write("HTTP/1.1 200 Connection established\r\n\r\n");
        c.echo();
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port(), ProxyAuthMode::digest), 143);
    ASSERT_FALSE(error_) << error_->message;
    stream_->write("ping");
    EXPECT_EQ(read(4), "ping");
    EXPECT_EQ(proxy.connections(), 2);
}

TEST_F(ProxyTunnelTest, BasicWhenConfigured) {
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        while (auto head = c.read_head()) {
            if (head->find("Proxy-Authorization: Basic cHJveHl1c2VyOnByb3h5LXBhc3MtMQ==\r\n") !=
                std::string::npos) {
                c.write("HTTP/1.0 200 Connection established\r\n\r\n");
                c.echo();
                return;
            }
            c.write(digest_407("n"));
        }
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port(), ProxyAuthMode::basic), 143);
    ASSERT_FALSE(error_) << error_->message;
    EXPECT_EQ(dialer_->timings().proxy_auth_scheme, "Basic");
}

TEST_F(ProxyTunnelTest, ImplicitTlsToTheUpstreamThroughTheTunnel) {
    const uint16_t upstream_port = start_tls_upstream();
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        auto head = c.read_head();
        if (!head) return;
        if (!digest_valid(*head)) {
            c.write(digest_407("nonce-tls"));
            head = c.read_head();
            if (!head || !digest_valid(*head)) return;
        }
        c.relay("127.0.0.1", upstream_port);
    });
    proxy_ = &proxy;
    auto tls = TlsClientContext::create({test_pki().ca_cert, true});
    ASSERT_TRUE(tls.ok());
    dial(proxy_at(proxy.port()), upstream_port, &*tls);
    ASSERT_FALSE(error_) << error_->message;
    ASSERT_TRUE(dialer_->timings().tls_info.has_value());
    stream_->write("through the tunnel");
    EXPECT_EQ(read(18), "through the tunnel");
}

TEST_F(ProxyTunnelTest, HttpsProxyVerifiedWithItsCaFile) {
    TestProxyServer proxy(
        [&](ProxyConnection& c, int) {
            auto head = c.read_head();
            if (!head) return;
            c.write(digest_407("nonce-https"));
            head = c.read_head();
            if (!head || !digest_valid(*head)) return;
            c.write("HTTP/1.1 200 Connection established\r\n\r\n* OK over https proxy\r\n");
            c.echo();
        },
        true);
    proxy_ = &proxy;
    auto target = proxy_at(proxy.port(), ProxyAuthMode::any, true);
    ASSERT_TRUE(target.load_tls().ok());
    dial(target, 993, nullptr, 5s, "imap.example.com");
    ASSERT_FALSE(error_) << error_->message;
    EXPECT_EQ(read(23), "* OK over https proxy\r\n");
}

TEST_F(ProxyTunnelTest, HttpsProxyWithAnUnknownCaFailsAsProxy) {
    TestProxyServer proxy([](ProxyConnection& c, int) { (void)c.read_head(); }, true);
    auto target = proxy_at(proxy.port(), ProxyAuthMode::any, true);
    target.ca_file = test_pki().other_ca_cert;
    dial(target, 993);
    ASSERT_TRUE(error_);
    EXPECT_EQ(error_->failure, DialFailure::proxy);
    EXPECT_EQ(error_->message.rfind("TLS to proxy corp (https://127.0.0.1:", 0), 0u)
        << error_->message;
    EXPECT_NE(error_->message.find("certificate verify failed"), std::string::npos)
        << error_->message;
}

TEST_F(ProxyTunnelTest, StaleNonceIsRetriedWithoutNewCredentials) {
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        c.read_head();
        c.write(digest_407("old"));
        auto second = c.read_head();
        if (!second || digest_field(*second, "nonce") != "old") return;
        c.write(digest_407("fresh", false, true));
        auto third = c.read_head();
        if (!third || digest_field(*third, "nonce") != "fresh" || !digest_valid(*third)) return;
        c.write("HTTP/1.1 200 OK\r\n\r\n");
        c.echo();
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port()), 143);
    EXPECT_FALSE(error_) << error_->message;
}

TEST_F(ProxyTunnelTest, RejectedCredentials) {
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        while (c.read_head()) c.write(digest_407("again"));
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port()), 143);
    ASSERT_TRUE(error_);
    EXPECT_EQ(error_->failure, DialFailure::proxy_auth);
    EXPECT_NE(error_->message.find("proxy corp (http://127.0.0.1:" + std::to_string(proxy.port()) +
                                   "): proxy authentication failed (407 after credentials); "
                                   "check [[proxy]] corp username/password"),
              std::string::npos)
        << error_->message;
}

TEST_F(ProxyTunnelTest, StrictModeRefusesTheOfferedScheme) {
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        c.read_head();
        c.write(
            "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"r\"\r\n"
            "Content-Length: 0\r\n\r\n");
        c.read_head();
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port(), ProxyAuthMode::digest), 143);
    ASSERT_TRUE(error_);
    EXPECT_EQ(error_->failure, DialFailure::proxy_auth);
    EXPECT_NE(error_->message.find("offers Basic but auth = \"digest\""), std::string::npos)
        << error_->message;
}

TEST_F(ProxyTunnelTest, AuthNoneFacingA407) {
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        c.read_head();
        c.write(digest_407("n"));
        c.read_head();
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port(), ProxyAuthMode::none), 143);
    ASSERT_TRUE(error_);
    EXPECT_EQ(error_->failure, DialFailure::proxy_auth);
    EXPECT_NE(error_->message.find("auth = \"none\""), std::string::npos) << error_->message;
}

struct Refusal {
    const char* answer;
    const char* message;
    DialFailure failure = DialFailure::proxy;
};

class ProxyRefusalTest : public ProxyTunnelTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(ProxyRefusalTest, MessageNamesTheProxyTheTargetAndTheStatus) {
    const std::string answer = GetParam().answer;
    TestProxyServer proxy([&](ProxyConnection& c, int) {
        c.read_head();
        c.write(answer);
        if (answer.find("\r\n\r\n") != std::string::npos) c.read_head();  // until we close
    });
    proxy_ = &proxy;
    dial(proxy_at(proxy.port()), 143, nullptr, 5s, "imap.example.com");
    ASSERT_TRUE(error_);
    EXPECT_EQ(error_->failure, GetParam().failure);
    const std::string expected =
        "proxy corp (http://127.0.0.1:" + std::to_string(proxy.port()) + ") " + GetParam().message;
    EXPECT_EQ(error_->message.rfind(expected, 0), 0u) << error_->message;
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, ProxyRefusalTest,
    ::testing::Values(
        Refusal{"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!",
                "refused CONNECT to imap.example.com:143 (403 Forbidden)",
                DialFailure::proxy_refused},
        Refusal{"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "could not reach imap.example.com:143 (502 Bad Gateway)"},
        Refusal{"HTTP/1.1 504 \r\nContent-Length: 0\r\n\r\n",
                "could not reach imap.example.com:143 in time (504 Gateway Timeout)"},
        Refusal{"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n",
                "answered CONNECT to imap.example.com:143 with 418 I'm a teapot"},
        Refusal{"SSH-2.0-OpenSSH_9.2\r\n\r\n", "sent a malformed answer to CONNECT"},
        Refusal{"HTTP/1.1 200 OK", "closed the connection before answering CONNECT"}));

TEST_F(ProxyTunnelTest, UnreachableProxy) {
    uint16_t closed_port = 0;
    {
        TestProxyServer probe([](ProxyConnection&, int) {});
        closed_port = probe.port();
    }
    dial(proxy_at(closed_port), 143);
    ASSERT_TRUE(error_);
    EXPECT_EQ(error_->failure, DialFailure::proxy);
    EXPECT_EQ(
        error_->message.rfind(
            "proxy corp (http://127.0.0.1:" + std::to_string(closed_port) + ") unreachable: ", 0),
        0u)
        << error_->message;
    EXPECT_NE(error_->message.find("refused"), std::string::npos) << error_->message;
}

TEST_F(ProxyTunnelTest, SilentProxyHitsTheDeadline) {
    TestProxyServer proxy([](ProxyConnection& c, int) {
        c.read_head();
        c.read_head();  // waits (5 s receive timeout) without answering
    });
    auto started = std::chrono::steady_clock::now();
    dial(proxy_at(proxy.port()), 143, nullptr, 300ms);
    ASSERT_TRUE(error_);
    EXPECT_EQ(error_->failure, DialFailure::timeout);
    EXPECT_NE(error_->message.find("through proxy corp"), std::string::npos) << error_->message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(ProxyTunnelTest, NoProxyHostsConnectDirectly) {
    const uint16_t upstream_port = start_tls_upstream();
    TestProxyServer proxy([](ProxyConnection&, int) {});
    auto target = proxy_at(proxy.port());
    target.no_proxy = {"localhost", "127.0.0.1"};
    auto tls = TlsClientContext::create({test_pki().ca_cert, true});
    dial(target, upstream_port, &*tls);
    ASSERT_FALSE(error_) << error_->message;
    EXPECT_EQ(proxy.connections(), 0);
    EXPECT_TRUE(dialer_->timings().proxy.empty());
}

TEST_F(ProxyTunnelTest, CancelDuringTheExchangeRunsNoCallback) {
    TestProxyServer proxy([](ProxyConnection& c, int) {
        c.read_head();
        c.read_head();
    });
    dialer_ = std::make_unique<UpstreamDialer>(&loop_);
    DialTarget target;
    target.host = "127.0.0.1";
    target.port = 143;
    target.implicit_tls = false;
    target.proxy = proxy_at(proxy.port());
    bool called = false;
    dialer_->dial(target, 5s, [&](auto, auto) { called = true; });
    run_for(200ms);  // the loop has no event to wake it when the proxy thread accepts
    EXPECT_EQ(proxy.connections(), 1);
    dialer_->cancel();
    run_for(20ms);
    EXPECT_FALSE(called);
}

TEST_F(ProxyTunnelTest, ReplayStreamDeliversBufferedBytesFirst) {
    std::unique_ptr<TcpListener> listener;
    std::unique_ptr<ByteStream> server;
    auto made = TcpListener::listen(&loop_, "127.0.0.1", 0,
                                    [&](auto stream) { server = std::move(stream); });
    ASSERT_TRUE(made.ok());
    listener = std::move(made).value();
    std::unique_ptr<ByteStream> client;
    TcpConnector connector(&loop_);
    connector.connect("127.0.0.1", listener->port(), 5s,
                      [&](auto result) { client = std::move(result).value(); });
    run_until([&] { return client && server; });
    stream_ = std::make_unique<ReplayStream>(std::move(client), "first ");
    server->write("second");
    EXPECT_EQ(read(12), "first second");
    server->write("x");
    EXPECT_EQ(read(1), "x");
    std::optional<CloseReason> closed;
    stream_->set_handlers({{}, {}, [&](const CloseReason& reason) { closed = reason; }});
    stream_->start_reading();
    server->close();
    run_until([&] { return closed.has_value(); });
    EXPECT_EQ(closed->cause, CloseCause::peer);
    stream_.reset();
    server.reset();
    listener.reset();
}

}  // namespace
}  // namespace mb::net
