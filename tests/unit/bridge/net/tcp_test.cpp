// TcpListener, TcpConnector and TcpStream on a real loop over 127.0.0.1: echo, refused,
// timeout (a listener whose accept queue is full), cancellation, address in use, backpressure
// with drained, abort and half-close. Every test is bounded by LoopTest::run_until.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "bridge/net/socket_address.h"
#include "bridge/net/tcp_connector.h"
#include "bridge/net/tcp_listener.h"
#include "loop_fixture.h"

namespace mb::net {
namespace {

using namespace std::chrono_literals;
using testing::LoopTest;

// A 127.0.0.1 listener (plain POSIX) whose accept queue is full, so a new SYN gets no answer.
class StuckListener {
  public:
    StuckListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(fd_, 0);
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        for (int i = 0; i < 4; ++i) {
            int client = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address);
            fillers_.push_back(client);
        }
        ::usleep(50 * 1000);
    }
    ~StuckListener() {
        for (int fd : fillers_) ::close(fd);
        ::close(fd_);
    }
    uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    uint16_t port_ = 0;
    std::vector<int> fillers_;
};

class TcpTest : public LoopTest {
  protected:
    void TearDown() override {
        listener_.reset();
        accepted_.clear();
        LoopTest::TearDown();
    }

    // Listens on 127.0.0.1 and keeps every accepted stream in accepted_.
    void listen() {
        auto listener = TcpListener::listen(&loop_, "127.0.0.1", 0, [this](auto stream) {
            accepted_.push_back(std::move(stream));
        });
        ASSERT_TRUE(listener.ok()) << listener.error().message;
        listener_ = std::move(listener).value();
    }

    // Connects to the listener and waits for both ends.
    std::unique_ptr<TcpStream> connect_pair() {
        TcpConnector connector(&loop_);
        std::unique_ptr<TcpStream> client;
        std::string error;
        connector.connect("127.0.0.1", listener_->port(), 5s, [&](auto result) {
            if (result.ok()) {
                client = std::move(result).value();
            } else {
                error = result.error().message;
            }
        });
        const std::size_t before = accepted_.size();
        run_until([&] { return (client || !error.empty()) && accepted_.size() > before; });
        EXPECT_EQ(error, "");
        return client;
    }

    std::unique_ptr<TcpListener> listener_;
    std::vector<std::unique_ptr<TcpStream>> accepted_;
};

std::string pattern(std::size_t size) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
    return text;
}

TEST_F(TcpTest, EchoAndCloseReasons) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    ASSERT_EQ(accepted_.size(), 1u);
    TcpStream& server = *accepted_[0];
    EXPECT_EQ(server.peer_address(), client->local_address());
    EXPECT_EQ(client->peer_address(), "127.0.0.1:" + std::to_string(listener_->port()));
    EXPECT_TRUE(client->set_nodelay(true).ok());
    EXPECT_TRUE(client->set_keepalive(true, 60).ok());

    std::vector<CloseReason> server_closed;
    server.set_handlers({[&](std::string_view bytes) { server.write(bytes); },
                         {},
                         [&](const CloseReason& reason) { server_closed.push_back(reason); }});
    server.start_reading();

    std::string received;
    std::vector<CloseReason> client_closed;
    client->set_handlers({[&](std::string_view bytes) { received.append(bytes); },
                          {},
                          [&](const CloseReason& reason) { client_closed.push_back(reason); }});
    client->start_reading();
    client->write("hello ");
    client->write(std::string("world"));
    run_until([&] { return received == "hello world"; });

    client->close();
    EXPECT_TRUE(client->is_closing());
    EXPECT_TRUE(client_closed.empty()) << "on_closed never runs inside close()";
    client->close();
    run_until([&] { return !client_closed.empty() && !server_closed.empty(); });
    run_for(20ms);
    ASSERT_EQ(client_closed.size(), 1u);
    ASSERT_EQ(server_closed.size(), 1u);
    EXPECT_EQ(client_closed[0].cause, CloseCause::local);
    EXPECT_EQ(server_closed[0].cause, CloseCause::peer);
    EXPECT_EQ(server_closed[0].message, "connection closed by " + server.peer_address());
    client->write("dropped after close");
    EXPECT_EQ(client->queued_bytes(), 0u);
}

TEST_F(TcpTest, ConnectRefusedNamesTheTarget) {
    listen();
    const uint16_t port = listener_->port();
    listener_->stop();
    EXPECT_FALSE(listener_->is_listening());
    run_for(10ms);
    TcpConnector connector(&loop_);
    std::string error;
    connector.connect("127.0.0.1", port, 5s, [&](auto result) {
        ASSERT_FALSE(result.ok());
        error = result.error().message;
    });
    EXPECT_TRUE(connector.busy());
    EXPECT_EQ(error, "") << "never delivered synchronously";
    run_until([&] { return !error.empty(); });
    EXPECT_EQ(error, "connection to 127.0.0.1:" + std::to_string(port) + " refused");
    EXPECT_FALSE(connector.busy());
}

TEST_F(TcpTest, ConnectRefusedOnEveryAddressListsThem) {
    listen();
    const uint16_t port = listener_->port();
    listener_.reset();
    run_for(10ms);
    TcpConnector connector(&loop_);
    std::string error;
    connector.connect("localhost", port, 5s, [&](auto result) { error = result.error().message; });
    run_until([&] { return !error.empty(); });
    EXPECT_EQ(
        error.rfind("connection to localhost:" + std::to_string(port) + " refused (tried ", 0), 0u)
        << error;
    EXPECT_NE(error.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << error;
}

TEST_F(TcpTest, ConnectTimesOut) {
    StuckListener stuck;
    TcpConnector connector(&loop_);
    std::string error;
    connector.connect("127.0.0.1", stuck.port(), 300ms, [&](auto result) {
        error = result.ok() ? "connected" : result.error().message;
    });
    run_until([&] { return !error.empty(); }, 5s);
    EXPECT_EQ(error,
              "connect to 127.0.0.1:" + std::to_string(stuck.port()) + " timed out after 0.3 s");
}

TEST_F(TcpTest, UnresolvableHost) {
    TcpConnector connector(&loop_);
    std::string error;
    connector.connect("no-such-host.invalid", 993, 4s, [&](auto result) {
        error = result.ok() ? "connected" : result.error().message;
    });
    run_until([&] { return !error.empty(); }, 8s);
    EXPECT_EQ(error.rfind("cannot resolve host no-such-host.invalid: ", 0), 0u) << error;
}

TEST_F(TcpTest, CancelDuringConnectThenDestroy) {
    StuckListener stuck;
    bool called = false;
    auto connector = std::make_unique<TcpConnector>(&loop_);
    connector->connect("127.0.0.1", stuck.port(), 200ms, [&](auto) { called = true; });
    run_for(50ms);
    connector->cancel();
    EXPECT_FALSE(connector->busy());
    connector.reset();
    run_for(400ms);
    EXPECT_FALSE(called);
}

TEST_F(TcpTest, DestroyDuringResolveOrConnectNeverCallsBack) {
    StuckListener stuck;
    bool called = false;
    for (int i = 0; i < 20; ++i) {
        auto connector = std::make_unique<TcpConnector>(&loop_);
        connector->connect("localhost", stuck.port(), 1s, [&](auto) { called = true; });
        if (i % 2) run_for(5ms);  // resolved by now; the connect is pending
        connector.reset();
    }
    run_for(200ms);
    drain();
    EXPECT_FALSE(called);
}

TEST_F(TcpTest, CallbackMayDestroyTheConnector) {
    listen();
    auto connector = std::make_unique<TcpConnector>(&loop_);
    std::unique_ptr<TcpStream> client;
    connector->connect("127.0.0.1", listener_->port(), 5s, [&](auto result) {
        client = std::move(result).value();
        connector.reset();
    });
    run_until([&] { return client != nullptr && !accepted_.empty(); });
    EXPECT_FALSE(connector);
}

TEST_F(TcpTest, ReconnectCancelsTheFirstAttempt) {
    StuckListener stuck;
    listen();
    TcpConnector connector(&loop_);
    int first = 0;
    std::unique_ptr<TcpStream> second;
    connector.connect("127.0.0.1", stuck.port(), 5s, [&](auto) { ++first; });
    run_for(20ms);
    connector.connect("127.0.0.1", listener_->port(), 5s,
                      [&](auto result) { second = std::move(result).value(); });
    run_until([&] { return second != nullptr; });
    EXPECT_EQ(first, 0);
}

TEST_F(TcpTest, AddressInUse) {
    listen();
    auto second = TcpListener::listen(&loop_, "127.0.0.1", listener_->port(), [](auto) {});
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().message,
              "cannot listen on 127.0.0.1:" + std::to_string(listener_->port()) +
                  ": address already in use");
}

TEST_F(TcpTest, ListenNeedsAnIpAddress) {
    auto listener = TcpListener::listen(&loop_, "mail.example.com", 1143, [](auto) {});
    ASSERT_FALSE(listener.ok());
    EXPECT_EQ(listener.error().message,
              "cannot listen on mail.example.com:1143: \"mail.example.com\" is not an IP address "
              "(write an address such as 127.0.0.1 or ::1)");
}

TEST_F(TcpTest, ListensOnIpv6Loopback) {
    auto listener = TcpListener::listen(
        &loop_, "::1", 0, [this](auto stream) { accepted_.push_back(std::move(stream)); });
    if (!listener.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << listener.error().message;
    EXPECT_EQ((*listener)->address(), "[::1]:" + std::to_string((*listener)->port()));
    TcpConnector connector(&loop_);
    std::unique_ptr<TcpStream> client;
    connector.connect("::1", (*listener)->port(), 5s,
                      [&](auto result) { client = std::move(result).value(); });
    run_until([&] { return client != nullptr && !accepted_.empty(); });
    EXPECT_EQ(client->peer_address(), (*listener)->address());
}

TEST_F(TcpTest, BackpressureQueuesThenDrains) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    TcpStream& server = *accepted_[0];
    std::string received;
    server.set_handlers({[&](std::string_view bytes) { received.append(bytes); }, {}, {}});

    int drained = 0;
    client->set_low_water_mark(64 * 1024);
    client->set_handlers({{}, [&] { ++drained; }, {}});
    const std::string payload = pattern(32 * 1024 * 1024);
    for (std::size_t at = 0; at < payload.size(); at += 1024 * 1024) {
        client->write(std::string_view(payload).substr(at, 1024 * 1024));
    }
    run_for(200ms);
    EXPECT_GT(client->queued_bytes(), 1024u * 1024) << "the reader is not reading";
    EXPECT_EQ(drained, 0);
    EXPECT_TRUE(received.empty());

    server.start_reading();
    run_until([&] { return received.size() == payload.size(); });
    EXPECT_EQ(drained, 1);
    EXPECT_EQ(client->queued_bytes(), 0u);
    EXPECT_TRUE(received == payload);
}

TEST_F(TcpTest, StopReadingTakesEffectAtOnce) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    TcpStream& server = *accepted_[0];
    int calls = 0;
    server.set_handlers({[&](std::string_view) {
                             ++calls;
                             server.stop_reading();
                         },
                         {},
                         {}});
    server.start_reading();
    client->write("first");
    run_until([&] { return calls == 1; });
    client->write("second");
    run_for(50ms);
    EXPECT_EQ(calls, 1);
    server.start_reading();
    run_until([&] { return calls == 2; });
}

TEST_F(TcpTest, AbortCancelsQueuedWrites) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    std::vector<CloseReason> closed;
    client->set_handlers({{}, {}, [&](const CloseReason& reason) { closed.push_back(reason); }});
    const std::string payload = pattern(16 * 1024 * 1024);
    client->write(payload);
    ASSERT_GT(client->queued_bytes(), 0u);
    client->abort({CloseCause::error, "idle timeout"});
    client->close();
    run_until([&] { return !closed.empty(); });
    run_for(10ms);
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0].cause, CloseCause::error);
    EXPECT_EQ(closed[0].message, "idle timeout");
    EXPECT_EQ(client->queued_bytes(), 0u);
}

TEST_F(TcpTest, GracefulCloseFlushesQueuedWrites) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    TcpStream& server = *accepted_[0];
    std::string received;
    bool server_closed = false;
    server.set_handlers({[&](std::string_view bytes) { received.append(bytes); },
                         {},
                         [&](const CloseReason&) { server_closed = true; }});
    bool client_closed = false;
    client->set_handlers({{}, {}, [&](const CloseReason&) { client_closed = true; }});
    const std::string payload = pattern(8 * 1024 * 1024);
    client->write(payload);
    client->close();
    run_for(50ms);
    EXPECT_FALSE(client_closed) << "still flushing to a reader that does not read";
    server.start_reading();
    run_until([&] { return client_closed && server_closed; });
    EXPECT_TRUE(received == payload);
}

TEST_F(TcpTest, DestroyWithQueuedWritesIsSilent) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    bool closed = false;
    client->set_handlers({{}, {}, [&](const CloseReason&) { closed = true; }});
    client->write(pattern(16 * 1024 * 1024));
    client->close();
    client.reset();
    run_for(50ms);
    EXPECT_FALSE(closed);
}

TEST_F(TcpTest, ClosedHandlerMayDestroyTheStream) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    client->set_handlers({{}, {}, [&](const CloseReason&) { client.reset(); }});
    client->close();
    run_until([&] { return client == nullptr; });
}

TEST_F(TcpTest, HalfCloseKeepsReading) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    TcpStream& server = *accepted_[0];
    CloseReason server_reason;
    bool server_closed = false;
    server.set_handlers({[&](std::string_view bytes) { server.write(bytes); },
                         {},
                         [&](const CloseReason& reason) {
                             server_reason = reason;
                             server_closed = true;
                         }});
    server.start_reading();
    std::string received;
    CloseReason client_reason;
    bool client_closed = false;
    client->set_handlers({[&](std::string_view bytes) { received.append(bytes); },
                          {},
                          [&](const CloseReason& reason) {
                              client_reason = reason;
                              client_closed = true;
                          }});
    client->start_reading();
    client->write("ping");
    client->shutdown();
    client->write("dropped after shutdown");
    run_until([&] { return server_closed && client_closed; });
    EXPECT_EQ(received, "ping");
    EXPECT_EQ(server_reason.cause, CloseCause::peer);
    EXPECT_EQ(client_reason.cause, CloseCause::peer);
}

TEST_F(TcpTest, ListenerStopKeepsAcceptedStreams) {
    listen();
    auto client = connect_pair();
    ASSERT_TRUE(client);
    listener_->stop();
    listener_->stop();
    run_for(10ms);
    std::string received;
    accepted_[0]->set_handlers({[&](std::string_view bytes) { received.append(bytes); }, {}, {}});
    accepted_[0]->start_reading();
    client->write("still here");
    run_until([&] { return received == "still here"; });
}

TEST(SocketAddress, Formats) {
    EXPECT_TRUE(is_ip_literal("127.0.0.1"));
    EXPECT_TRUE(is_ip_literal("::1"));
    EXPECT_TRUE(is_ip_literal("fe80::1"));
    EXPECT_FALSE(is_ip_literal("localhost"));
    EXPECT_FALSE(is_ip_literal("127.0.0.1.example.com"));
    EXPECT_FALSE(is_ip_literal(""));
    EXPECT_FALSE(is_ip_literal("[::1]"));
    EXPECT_EQ(format_host_port("imap.example.com", 993), "imap.example.com:993");
    EXPECT_EQ(format_host_port("::1", 993), "[::1]:993");
    auto v6 = parse_ip_address("::1", 1143);
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(format_sockaddr(reinterpret_cast<const sockaddr*>(&*v6)), "[::1]:1143");
    auto local = parse_ip_address("localhost", 25);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(format_sockaddr(reinterpret_cast<const sockaddr*>(&*local)), "127.0.0.1:25");
    EXPECT_FALSE(parse_ip_address("256.0.0.1", 1).ok());
}

}  // namespace
}  // namespace mb::net
