// TestProxyServer: see test_proxy_server.h.
#include "test_proxy_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <regex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "test_certificates.h"

namespace mb::net::testing {

namespace {

void set_timeouts(int fd) {
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string md5_hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 15]);
    }
    return hex;
}

}  // namespace

long ProxyConnection::read_some(char* buffer, std::size_t size) {
    if (ssl_) {
        int n = SSL_read(ssl_, buffer, static_cast<int>(size));
        return n > 0 ? n : 0;
    }
    auto n = ::recv(fd_, buffer, size, 0);
    return n > 0 ? n : 0;
}

std::optional<std::string> ProxyConnection::read_head() {
    while (true) {
        auto end = buffered_.find("\r\n\r\n");
        if (end != std::string::npos) {
            std::string head = buffered_.substr(0, end + 4);
            buffered_.erase(0, end + 4);
            return head;
        }
        char buffer[4096];
        long n = read_some(buffer, sizeof buffer);
        if (n <= 0) return std::nullopt;
        buffered_.append(buffer, static_cast<std::size_t>(n));
    }
}

void ProxyConnection::write(const std::string& bytes) {
    if (ssl_) {
        SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
        return;
    }
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
    }
}

void ProxyConnection::echo() {
    if (!buffered_.empty()) write(std::exchange(buffered_, {}));
    char buffer[4096];
    while (true) {
        long n = read_some(buffer, sizeof buffer);
        if (n <= 0) return;
        write(std::string(buffer, static_cast<std::size_t>(n)));
    }
}

void ProxyConnection::relay(const std::string& host, uint16_t port) {
    int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(upstream);
        write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    write("HTTP/1.1 200 Connection established\r\n\r\n");
    if (!buffered_.empty()) ::send(upstream, buffered_.data(), buffered_.size(), MSG_NOSIGNAL);
    pollfd fds[2] = {{fd_, POLLIN, 0}, {upstream, POLLIN, 0}};
    char buffer[16384];
    while (::poll(fds, 2, 5000) > 0) {
        bool done = false;
        for (int i = 0; i < 2; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            auto n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                done = true;
                break;
            }
            ::send(fds[1 - i].fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        }
        if (done) break;
    }
    ::close(upstream);
}

TestProxyServer::TestProxyServer(Script script, bool tls) : script_(std::move(script)) {
    ::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2), which would raise it
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 16) != 0)
        throw std::runtime_error("test proxy cannot listen");
    socklen_t length = sizeof address;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    if (tls) {
        tls_ = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate_chain_file(tls_, test_pki().server_cert.c_str());
        SSL_CTX_use_PrivateKey_file(tls_, test_pki().server_key.c_str(), SSL_FILETYPE_PEM);
    }
    thread_ = std::thread([this] { run(); });
}

TestProxyServer::~TestProxyServer() {
    stopping_ = true;
    if (int fd = active_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    if (tls_) SSL_CTX_free(tls_);
}

void TestProxyServer::run() {
    int index = 0;
    while (!stopping_) {
        pollfd pfd{listen_fd_, POLLIN, 0};
        if (::poll(&pfd, 1, 20) <= 0) continue;
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) continue;
        set_timeouts(fd);
        ++connections_;
        active_fd_ = fd;
        SSL* ssl = nullptr;
        if (tls_) {
            ssl = SSL_new(tls_);
            SSL_set_fd(ssl, fd);
            if (SSL_accept(ssl) != 1) {
                SSL_free(ssl);
                ::close(fd);
                continue;
            }
        }
        ProxyConnection connection(fd, ssl);
        script_(connection, index++);
        if (ssl) {
            SSL_shutdown(ssl);
            SSL_free(ssl);
        }
        active_fd_ = -1;
        ::close(fd);
    }
}

std::vector<std::string> TestProxyServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void TestProxyServer::record(const std::string& head) {
    std::lock_guard lock(mutex_);
    requests_.push_back(head);
}

std::string digest_field(const std::string& head, const std::string& name) {
    std::smatch match;
    std::regex quoted("[ ,]" + name + "=\"([^\"]*)\"");
    if (std::regex_search(head, match, quoted)) return match[1];
    std::regex bare("[ ,]" + name + "=([^,\r\n ]*)");
    if (std::regex_search(head, match, bare)) return match[1];
    return {};
}

std::string expected_md5_digest(const std::string& user, const std::string& realm,
                                const std::string& password, const std::string& method,
                                const std::string& head) {
    std::string ha1 = md5_hex(user + ":" + realm + ":" + password);
    std::string ha2 = md5_hex(method + ":" + digest_field(head, "uri"));
    return md5_hex(ha1 + ":" + digest_field(head, "nonce") + ":" + digest_field(head, "nc") + ":" +
                   digest_field(head, "cnonce") + ":auth:" + ha2);
}

}  // namespace mb::net::testing
