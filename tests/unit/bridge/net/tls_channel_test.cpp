// TlsChannel driven purely in memory: client and server channels pumped into each other with
// chosen chunk sizes. Covers handshake, data both ways (10 MB), split feeds, verification
// failures, verify=false, close_notify, and the session information.
#include "bridge/net/tls_channel.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "test_certificates.h"

namespace mb::net {
namespace {

using testing::test_pki;

TlsClientContext client_context(const std::filesystem::path& ca_file, bool verify = true) {
    auto context = TlsClientContext::create({ca_file, verify});
    EXPECT_TRUE(context.ok()) << context.error().message;
    return std::move(context).value();
}

TlsServerContext server_context() {
    auto context = TlsServerContext::create(test_pki().server_cert, test_pki().server_key);
    EXPECT_TRUE(context.ok()) << context.error().message;
    return std::move(context).value();
}

// Moves ciphertext both ways in chunks of `chunk` bytes and collects plaintext, until nothing
// moves. Returns the first error of either side, if any.
struct Pair {
    std::unique_ptr<TlsChannel> client;
    std::unique_ptr<TlsChannel> server;
    std::string client_received;
    std::string server_received;
    std::string client_error;
    std::string server_error;

    static bool move_bytes(TlsChannel& from, TlsChannel& to, std::size_t chunk,
                           std::string& error) {
        std::string bytes = from.take_ciphertext();
        for (std::size_t at = 0; at < bytes.size() && error.empty(); at += chunk) {
            auto fed = to.feed_ciphertext(std::string_view(bytes).substr(at, chunk));
            if (!fed) error = fed.error().message;
        }
        return !bytes.empty();
    }

    static void read_all(TlsChannel& channel, std::string& into, std::string& error) {
        std::array<char, 4096> buffer;
        while (error.empty()) {
            auto got = channel.read_plaintext(buffer);
            if (!got) {
                error = got.error().message;
                return;
            }
            if (*got == 0) return;
            into.append(buffer.data(), *got);
        }
    }

    void pump(std::size_t chunk = 16384) {
        for (int round = 0; round < 1000000; ++round) {
            bool moved = move_bytes(*client, *server, chunk, server_error);
            read_all(*server, server_received, server_error);
            moved |= move_bytes(*server, *client, chunk, client_error);
            read_all(*client, client_received, client_error);
            if (!moved) return;
        }
        FAIL() << "pump did not settle";
    }
};

Pair make_pair(const TlsClientContext& client, const TlsServerContext& server,
               const std::string& host) {
    Pair pair;
    auto c = TlsChannel::client(client, host);
    EXPECT_TRUE(c.ok()) << c.error().message;
    auto s = TlsChannel::server(server);
    EXPECT_TRUE(s.ok()) << s.error().message;
    pair.client = std::move(c).value();
    pair.server = std::move(s).value();
    return pair;
}

std::string pattern(std::size_t size) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    return text;
}

TEST(TlsChannel, HandshakeAndDataBothWays) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    Pair pair = make_pair(client_ctx, server_ctx, "localhost");
    EXPECT_GT(pair.client->pending_ciphertext(), 0u) << "the ClientHello is ready at once";
    pair.pump();
    ASSERT_EQ(pair.client_error, "");
    ASSERT_EQ(pair.server_error, "");
    EXPECT_TRUE(pair.client->handshake_done());
    EXPECT_TRUE(pair.server->handshake_done());

    ASSERT_TRUE(pair.client->write_plaintext("a001 NOOP\r\n").ok());
    ASSERT_TRUE(pair.server->write_plaintext("* OK ready\r\n").ok());
    pair.pump();
    EXPECT_EQ(pair.server_received, "a001 NOOP\r\n");
    EXPECT_EQ(pair.client_received, "* OK ready\r\n");

    TlsSessionInfo info = pair.client->info();
    EXPECT_EQ(info.protocol, "TLSv1.3");
    EXPECT_FALSE(info.cipher.empty());
    EXPECT_NE(info.peer_subject.find("localhost"), std::string::npos) << info.peer_subject;
    ASSERT_TRUE(info.peer_days_until_expiry.has_value());
    EXPECT_GE(*info.peer_days_until_expiry, 29);
    EXPECT_LE(*info.peer_days_until_expiry, 30);
}

TEST(TlsChannel, TenMegabytesEachWayInSmallChunks) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    Pair pair = make_pair(client_ctx, server_ctx, "localhost");
    pair.pump(1000);
    const std::string up = pattern(10 * 1024 * 1024);
    const std::string down = pattern(10 * 1024 * 1024 + 17);
    // Small plaintext pieces as a session would write them.
    for (std::size_t at = 0; at < up.size(); at += 65536) {
        ASSERT_TRUE(pair.client->write_plaintext(std::string_view(up).substr(at, 65536)).ok());
        ASSERT_TRUE(pair.server->write_plaintext(std::string_view(down).substr(at, 65536)).ok());
        pair.pump(1000);
    }
    ASSERT_TRUE(pair.server->write_plaintext(std::string_view(down).substr(up.size())).ok());
    pair.pump(1000);
    EXPECT_EQ(pair.client_error, "");
    EXPECT_EQ(pair.server_error, "");
    EXPECT_TRUE(pair.server_received == up);
    EXPECT_TRUE(pair.client_received == down);
}

// take_ciphertext_view hands out one buffer that later takes reuse (no string per flush), and
// the data survives release_idle_buffers() between bursts.
TEST(TlsChannel, CiphertextViewReusesOneBuffer) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    Pair pair = make_pair(client_ctx, server_ctx, "localhost");
    pair.pump();
    ASSERT_TRUE(pair.client->handshake_done());
    const std::string up = pattern(200 * 1024);
    const char* first = nullptr;
    for (int burst = 0; burst < 3; ++burst) {
        ASSERT_TRUE(pair.client->write_plaintext(up).ok());
        std::string_view ciphertext = pair.client->take_ciphertext_view();
        ASSERT_GT(ciphertext.size(), up.size());
        if (first == nullptr) first = ciphertext.data();
        EXPECT_EQ(ciphertext.data(), first) << "burst " << burst << " got a new buffer";
        EXPECT_EQ(pair.client->pending_ciphertext(), 0u);
        ASSERT_TRUE(pair.server->feed_ciphertext(ciphertext).ok());
        Pair::read_all(*pair.server, pair.server_received, pair.server_error);
        pair.client->release_idle_buffers();
        pair.server->release_idle_buffers();
    }
    EXPECT_EQ(pair.server_error, "");
    EXPECT_TRUE(pair.server_received == up + up + up);
}

TEST(TlsChannel, HandshakeFedOneByteAtATime) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    Pair pair = make_pair(client_ctx, server_ctx, "127.0.0.1");
    ASSERT_TRUE(pair.client->write_plaintext("early").ok()) << "held until the handshake ends";
    EXPECT_EQ(pair.client->pending_plaintext(), 5u);
    pair.pump(1);
    EXPECT_EQ(pair.client_error, "");
    EXPECT_EQ(pair.server_error, "");
    EXPECT_TRUE(pair.server->handshake_done());
    EXPECT_EQ(pair.server_received, "early");
    EXPECT_EQ(pair.client->pending_plaintext(), 0u);
}

TEST(TlsChannel, EveryChunkSizeDeliversTheSameBytes) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    const std::string message = pattern(3000);
    for (std::size_t chunk : {1u, 2u, 3u, 5u, 7u, 64u, 1000u, 5000u}) {
        Pair pair = make_pair(client_ctx, server_ctx, "localhost");
        pair.pump(chunk);
        ASSERT_TRUE(pair.server->write_plaintext(message).ok());
        pair.pump(chunk);
        EXPECT_EQ(pair.client_error, "") << "chunk " << chunk;
        EXPECT_TRUE(pair.client_received == message) << "chunk " << chunk;
    }
}

TEST(TlsChannel, UnknownCaFailsVerification) {
    auto client_ctx = client_context(test_pki().other_ca_cert);
    auto server_ctx = server_context();
    Pair pair = make_pair(client_ctx, server_ctx, "localhost");
    pair.pump();
    EXPECT_EQ(pair.client_error,
              "certificate verify failed: unable to get local issuer certificate");
    EXPECT_TRUE(pair.client->verify_failed());
    EXPECT_FALSE(pair.client->handshake_done());
    // The client's alert reached the server, which names it.
    EXPECT_NE(pair.server_error.find("unknown ca"), std::string::npos) << pair.server_error;
    EXPECT_FALSE(pair.server->verify_failed());
    // A failed channel stays failed.
    EXPECT_FALSE(pair.client->write_plaintext("x").ok());
}

TEST(TlsChannel, WrongHostnameFailsVerification) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    Pair pair = make_pair(client_ctx, server_ctx, "imap.example.com");
    pair.pump();
    EXPECT_EQ(pair.client_error,
              "hostname mismatch: certificate is not valid for imap.example.com");
    EXPECT_TRUE(pair.client->verify_failed());
}

TEST(TlsChannel, IpLiteralIsCheckedAgainstIpSan) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    Pair good = make_pair(client_ctx, server_ctx, "127.0.0.1");
    good.pump();
    EXPECT_EQ(good.client_error, "");
    EXPECT_TRUE(good.client->handshake_done());

    Pair bad = make_pair(client_ctx, server_ctx, "127.0.0.2");
    bad.pump();
    EXPECT_EQ(bad.client_error, "hostname mismatch: certificate is not valid for 127.0.0.2");

    Pair v6 = make_pair(client_ctx, server_ctx, "::1");
    v6.pump();
    EXPECT_EQ(v6.client_error, "hostname mismatch: certificate is not valid for ::1");
}

TEST(TlsChannel, VerifyFalseAcceptsUnknownCaAndWrongName) {
    auto client_ctx = client_context(test_pki().other_ca_cert, false);
    auto server_ctx = server_context();
    Pair pair = make_pair(client_ctx, server_ctx, "imap.example.com");
    pair.pump();
    EXPECT_EQ(pair.client_error, "");
    EXPECT_TRUE(pair.client->handshake_done());
}

TEST(TlsChannel, CloseNotifyReachesThePeer) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    Pair pair = make_pair(client_ctx, server_ctx, "localhost");
    pair.pump();
    ASSERT_TRUE(pair.client->write_plaintext("last words").ok());
    ASSERT_TRUE(pair.client->shutdown().ok());
    EXPECT_FALSE(pair.client->write_plaintext("more").ok());
    pair.pump();
    EXPECT_EQ(pair.server_received, "last words");
    EXPECT_TRUE(pair.server->peer_closed());
    EXPECT_FALSE(pair.client->peer_closed());
    ASSERT_TRUE(pair.server->shutdown().ok());
    pair.pump();
    EXPECT_TRUE(pair.client->peer_closed());
    EXPECT_EQ(pair.client_error, "");
    EXPECT_EQ(pair.server_error, "");
}

TEST(TlsChannel, GarbageFromThePeerIsAnError) {
    auto server_ctx = server_context();
    auto server = TlsChannel::server(server_ctx);
    ASSERT_TRUE(server.ok());
    auto fed = (*server)->feed_ciphertext("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_FALSE(fed.ok());
    EXPECT_FALSE(fed.error().message.empty());
    EXPECT_TRUE((*server)->failed());
    EXPECT_FALSE((*server)->verify_failed());
}

TEST(TlsChannel, Tls12IsNegotiatedWhenTheServerCapsIt) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    SSL_CTX_set_max_proto_version(server_ctx.native(), TLS1_2_VERSION);
    Pair pair = make_pair(client_ctx, server_ctx, "localhost");
    pair.pump();
    ASSERT_TRUE(pair.client->handshake_done());
    EXPECT_EQ(pair.client->info().protocol, "TLSv1.2");
    ASSERT_TRUE(pair.client->write_plaintext("hello").ok());
    pair.pump();
    EXPECT_EQ(pair.server_received, "hello");
}

TEST(TlsChannel, Tls11IsRefused) {
    auto client_ctx = client_context(test_pki().ca_cert);
    auto server_ctx = server_context();
    SSL_CTX_set_min_proto_version(server_ctx.native(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(server_ctx.native(), TLS1_1_VERSION);
    Pair pair = make_pair(client_ctx, server_ctx, "localhost");
    pair.pump();
    EXPECT_FALSE(pair.client->handshake_done());
    EXPECT_NE(pair.client_error + pair.server_error, "");
}

TEST(TlsContext, ErrorsNameTheFile) {
    auto missing = TlsClientContext::create({"/nonexistent/ca.pem", true});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message,
              "cannot load CA file /nonexistent/ca.pem: no such file (check the path in the "
              "configuration)");

    auto not_pem = TlsClientContext::create({test_pki().server_key, true});
    ASSERT_FALSE(not_pem.ok());
    EXPECT_NE(not_pem.error().message.find("cannot load CA file"), std::string::npos);

    auto no_cert = TlsServerContext::create("/nonexistent/cert.pem", test_pki().server_key);
    ASSERT_FALSE(no_cert.ok());
    EXPECT_NE(no_cert.error().message.find("cannot load certificate /nonexistent/cert.pem"),
              std::string::npos);

    auto mismatch = TlsServerContext::create(test_pki().server_cert, test_pki().other_key);
    ASSERT_FALSE(mismatch.ok());
    EXPECT_EQ(mismatch.error().message, "private key " + test_pki().other_key.string() +
                                            " does not match certificate " +
                                            test_pki().server_cert.string());

    auto key_as_cert = TlsServerContext::create(test_pki().server_key, test_pki().server_key);
    ASSERT_FALSE(key_as_cert.ok());
    EXPECT_NE(key_as_cert.error().message.find("cannot load certificate"), std::string::npos);
}

TEST(TlsContext, SystemStoreLoads) {
    auto context = TlsClientContext::create({});
    ASSERT_TRUE(context.ok()) << context.error().message;
    EXPECT_TRUE(context->verify());
}

}  // namespace
}  // namespace mb::net
