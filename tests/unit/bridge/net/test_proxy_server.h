// TestProxyServer: a tiny HTTP proxy for the tunnel tests, on a POSIX socket thread at
// 127.0.0.1. Each accepted connection runs the test's script (blocking I/O, 5 s timeouts),
// optionally over TLS with the test PKI (an https proxy). The script reads request heads, answers,
// and may relay the connection to the requested host:port. Requests are recorded for checks.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mb::net::testing {

class ProxyConnection {
  public:
    ProxyConnection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
    // The next request head (through the empty line), or nullopt when the peer closed.
    std::optional<std::string> read_head();
    void write(const std::string& bytes);
    // Echoes everything until the peer closes.
    void echo();
    // Connects to host:port and pumps bytes both ways until either side closes (plain only).
    void relay(const std::string& host, uint16_t port);

  private:
    long read_some(char* buffer, std::size_t size);
    int fd_;
    SSL* ssl_;
    std::string buffered_;
};

class TestProxyServer {
  public:
    // script(connection, index) runs once per accepted connection, index counting from 0.
    using Script = std::function<void(ProxyConnection&, int index)>;

    explicit TestProxyServer(Script script, bool tls = false);
    ~TestProxyServer();

    uint16_t port() const { return port_; }
    std::vector<std::string> requests() const;
    void record(const std::string& head);
    int connections() const { return connections_.load(); }

  private:
    void run();

    Script script_;
    int listen_fd_ = -1;
    uint16_t port_ = 0;
    SSL_CTX* tls_ = nullptr;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    std::atomic<int> active_fd_{-1};  // shut down by the destructor to end a blocked script
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

// Pieces of a Digest Proxy-Authorization header ("nonce", "response", …); empty when absent.
std::string digest_field(const std::string& head, const std::string& name);
// MD5 Digest response with qop=auth, computed independently of the code under test.
std::string expected_md5_digest(const std::string& user, const std::string& realm,
                                const std::string& password, const std::string& method,
                                const std::string& head);

}  // namespace mb::net::testing
