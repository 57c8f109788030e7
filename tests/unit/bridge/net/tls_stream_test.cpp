// TlsStream on a real loop over 127.0.0.1: TLS echo with verification, handshake failure
// reasons, a STARTTLS upgrade mid-stream, backpressure through TLS (plaintext + ciphertext
// queued), stop_reading inside on_data with deferred delivery, and close_notify.
#include "bridge/net/tls_stream.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bridge/net/tcp_connector.h"
#include "bridge/net/tcp_listener.h"
#include "loop_fixture.h"
#include "test_certificates.h"

namespace mb::net {
namespace {

using namespace std::chrono_literals;
using testing::LoopTest;
using testing::test_pki;

std::string pattern(std::size_t size) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>((i * 13 + i / 509) & 0xff);
    return text;
}

class TlsStreamTest : public LoopTest {
  protected:
    void TearDown() override {
        client_.reset();
        server_.reset();
        listener_.reset();
        LoopTest::TearDown();
    }

    // A connected plain pair: client_ from TcpConnector, server_ from TcpListener.
    void connect_plain() {
        auto listener = TcpListener::listen(&loop_, "127.0.0.1", 0,
                                            [this](auto stream) { server_ = std::move(stream); });
        ASSERT_TRUE(listener.ok()) << listener.error().message;
        listener_ = std::move(listener).value();
        TcpConnector connector(&loop_);
        connector.connect("127.0.0.1", listener_->port(), 5s,
                          [this](auto result) { client_ = std::move(result).value(); });
        run_until([&] { return client_ && server_; });
    }

    static std::unique_ptr<ByteStream> wrap_client(std::unique_ptr<ByteStream> plain,
                                                   const std::filesystem::path& ca,
                                                   const std::string& host, bool verify = true) {
        auto context = TlsClientContext::create({ca, verify});
        EXPECT_TRUE(context.ok());
        auto channel = TlsChannel::client(*context, host);
        EXPECT_TRUE(channel.ok());
        return std::make_unique<TlsStream>(std::move(plain), std::move(channel).value());
    }

    static std::unique_ptr<ByteStream> wrap_server(std::unique_ptr<ByteStream> plain) {
        auto context = TlsServerContext::create(test_pki().server_cert, test_pki().server_key);
        EXPECT_TRUE(context.ok());
        auto channel = TlsChannel::server(*context);
        EXPECT_TRUE(channel.ok());
        return std::make_unique<TlsStream>(std::move(plain), std::move(channel).value());
    }

    void connect_tls(const std::string& host = "127.0.0.1") {
        connect_plain();
        client_ = wrap_client(std::move(client_), test_pki().ca_cert, host);
        server_ = wrap_server(std::move(server_));
    }

    std::unique_ptr<TcpListener> listener_;
    std::unique_ptr<ByteStream> client_;
    std::unique_ptr<ByteStream> server_;
};

TEST_F(TlsStreamTest, EchoWithVerifiedPeer) {
    connect_tls();
    auto* client_tls = static_cast<TlsStream*>(client_.get());
    bool handshake = false;
    client_tls->set_handshake_handler([&] { handshake = true; });
    std::vector<CloseReason> server_closed;
    server_->set_handlers({[&](std::string_view bytes) { server_->write(bytes); },
                           {},
                           [&](const CloseReason& reason) { server_closed.push_back(reason); }});
    server_->start_reading();
    std::string received;
    std::vector<CloseReason> client_closed;
    client_->set_handlers({[&](std::string_view bytes) { received.append(bytes); },
                           {},
                           [&](const CloseReason& reason) { client_closed.push_back(reason); }});
    client_->start_reading();
    const std::string payload = pattern(1024 * 1024);
    client_->write(std::string_view(payload));  // before the handshake: held, then sent
    run_until([&] { return received.size() == payload.size(); });
    EXPECT_TRUE(handshake);
    EXPECT_TRUE(received == payload);
    TlsSessionInfo info = client_tls->channel().info();
    EXPECT_EQ(info.protocol, "TLSv1.3");
    EXPECT_NE(info.peer_subject.find("localhost"), std::string::npos);

    client_->close();
    run_until([&] { return !client_closed.empty() && !server_closed.empty(); });
    run_for(20ms);
    ASSERT_EQ(client_closed.size(), 1u);
    ASSERT_EQ(server_closed.size(), 1u);
    EXPECT_EQ(client_closed[0].cause, CloseCause::local);
    EXPECT_EQ(server_closed[0].cause, CloseCause::peer);
    EXPECT_EQ(server_closed[0].message.rfind("TLS connection closed by ", 0), 0u)
        << server_closed[0].message << " (close_notify must arrive before the FIN)";
}

TEST_F(TlsStreamTest, UnknownCaClosesWithReason) {
    connect_plain();
    client_ = wrap_client(std::move(client_), test_pki().other_ca_cert, "127.0.0.1");
    server_ = wrap_server(std::move(server_));
    CloseReason client_reason;
    CloseReason server_reason;
    int closes = 0;
    bool data = false;
    client_->set_handlers({[&](std::string_view) { data = true; },
                           {},
                           [&](const CloseReason& reason) {
                               client_reason = reason;
                               ++closes;
                           }});
    server_->set_handlers({[&](std::string_view) { data = true; },
                           {},
                           [&](const CloseReason& reason) {
                               server_reason = reason;
                               ++closes;
                           }});
    client_->start_reading();
    server_->start_reading();
    client_->write("secret");
    run_until([&] { return closes == 2; });
    EXPECT_FALSE(data);
    EXPECT_EQ(client_reason.cause, CloseCause::error);
    EXPECT_EQ(client_reason.message, "TLS handshake with " + client_->peer_address() +
                                         " failed: certificate verify failed: unable to get "
                                         "local issuer certificate");
    EXPECT_TRUE(static_cast<TlsStream*>(client_.get())->channel().verify_failed());
    EXPECT_EQ(server_reason.cause, CloseCause::error);
    EXPECT_NE(server_reason.message.find("unknown ca"), std::string::npos) << server_reason.message;
}

TEST_F(TlsStreamTest, WrongHostnameClosesWithReason) {
    connect_tls("imap.example.com");
    CloseReason reason;
    bool closed = false;
    client_->set_handlers({{}, {}, [&](const CloseReason& r) {
                               reason = r;
                               closed = true;
                           }});
    server_->start_reading();
    run_until([&] { return closed; });
    EXPECT_NE(
        reason.message.find("hostname mismatch: certificate is not valid for imap.example.com"),
        std::string::npos)
        << reason.message;
}

TEST_F(TlsStreamTest, StartTlsUpgradeMidStream) {
    connect_plain();
    // Server: a plain line protocol until STARTTLS, then TLS on the same socket.
    std::string server_plain;
    std::string server_secure;
    bool server_upgraded = false;
    server_->set_handlers({[&](std::string_view bytes) {
                               server_plain.append(bytes);
                               if (server_plain == "a STARTTLS\r\n") {
                                   server_->write("a OK begin TLS\r\n");
                                   server_ = wrap_server(std::move(server_));
                                   server_->set_handlers({[&](std::string_view secure) {
                                                              server_secure.append(secure);
                                                              server_->write(secure);
                                                          },
                                                          {},
                                                          {}});
                                   server_->start_reading();
                                   server_upgraded = true;
                               }
                           },
                           {},
                           {}});
    server_->start_reading();

    std::string client_plain;
    std::string client_secure;
    client_->set_handlers(
        {[&](std::string_view bytes) {
             client_plain.append(bytes);
             if (client_plain == "a OK begin TLS\r\n") {
                 client_ = wrap_client(std::move(client_), test_pki().ca_cert, "localhost");
                 client_->set_handlers(
                     {[&](std::string_view secure) { client_secure.append(secure); }, {}, {}});
                 client_->start_reading();
                 client_->write("b LOGIN over TLS\r\n");
             }
         },
         {},
         {}});
    client_->start_reading();
    client_->write("a STARTTLS\r\n");
    run_until([&] { return client_secure == "b LOGIN over TLS\r\n"; });
    EXPECT_TRUE(server_upgraded);
    EXPECT_EQ(server_secure, "b LOGIN over TLS\r\n");
}

TEST_F(TlsStreamTest, BackpressureThroughTls) {
    connect_tls();
    std::string received;
    server_->set_handlers({[&](std::string_view bytes) { received.append(bytes); }, {}, {}});
    bool client_ready = false;
    static_cast<TlsStream*>(client_.get())->set_handshake_handler([&] { client_ready = true; });
    run_until([&] { return client_ready; });  // the server reads during its handshake anyway

    int drained = 0;
    client_->set_low_water_mark(64 * 1024);
    client_->set_handlers({{}, [&] { ++drained; }, {}});
    const std::string payload = pattern(24 * 1024 * 1024);
    for (std::size_t at = 0; at < payload.size(); at += 256 * 1024) {
        client_->write(std::string_view(payload).substr(at, 256 * 1024));
    }
    run_for(200ms);
    EXPECT_GT(client_->queued_bytes(), 1024u * 1024) << "the server is not reading";
    EXPECT_EQ(drained, 0);
    EXPECT_TRUE(received.empty());

    server_->start_reading();
    run_until([&] { return received.size() == payload.size(); });
    EXPECT_EQ(drained, 1);
    EXPECT_EQ(client_->queued_bytes(), 0u);
    EXPECT_TRUE(received == payload);
}

TEST_F(TlsStreamTest, StopReadingInsideOnDataDefersTheRest) {
    connect_tls();
    std::string received;
    int calls = 0;
    server_->set_handlers({[&](std::string_view bytes) {
                               received.append(bytes);
                               ++calls;
                               server_->stop_reading();
                           },
                           {},
                           {}});
    server_->start_reading();
    const std::string payload = pattern(200 * 1024);  // many TLS records
    client_->write(std::string_view(payload));
    run_until([&] { return calls == 1; });
    run_for(50ms);
    EXPECT_EQ(calls, 1) << "no on_data while stopped";
    // Resume one record at a time: the rest is already buffered, so delivery must come from the
    // loop, not from inside start_reading().
    while (received.size() < payload.size()) {
        const int before = calls;
        server_->start_reading();
        EXPECT_EQ(calls, before) << "start_reading() must not call on_data itself";
        run_until([&] { return calls > before; }, 2s);
        if (calls == before) break;
    }
    EXPECT_TRUE(received == payload);
}

TEST_F(TlsStreamTest, AbortDuringHandshakeReportsTheReason) {
    connect_plain();
    // The server side never speaks TLS: the handshake cannot complete.
    server_->start_reading();
    client_ = wrap_client(std::move(client_), test_pki().ca_cert, "127.0.0.1");
    CloseReason reason;
    bool closed = false;
    client_->set_handlers({{}, {}, [&](const CloseReason& r) {
                               reason = r;
                               closed = true;
                           }});
    run_for(100ms);
    EXPECT_FALSE(static_cast<TlsStream*>(client_.get())->channel().handshake_done());
    client_->abort({CloseCause::error, "TLS handshake with upstream timed out after 0.1 s"});
    run_until([&] { return closed; });
    EXPECT_EQ(reason.message, "TLS handshake with upstream timed out after 0.1 s");
}

TEST_F(TlsStreamTest, DestroyWhileOpenIsSilent) {
    connect_tls();
    bool closed = false;
    client_->set_handlers({{}, {}, [&](const CloseReason&) { closed = true; }});
    client_->write(pattern(4 * 1024 * 1024));
    client_->start_reading();
    client_->stop_reading();
    client_->start_reading();
    client_.reset();
    server_->start_reading();
    run_for(50ms);
    EXPECT_FALSE(closed);
}

}  // namespace
}  // namespace mb::net
