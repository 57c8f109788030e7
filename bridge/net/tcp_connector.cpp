// TcpConnector: see tcp_connector.h. One timer bounds the whole attempt; the getaddrinfo and
// connect requests carry a pointer back only while the connector still wants their answer.
#include "bridge/net/tcp_connector.h"

#include <netdb.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "bridge/net/socket_address.h"

namespace mb::net {

namespace {

std::string format_seconds(std::chrono::milliseconds timeout) {
    char text[32];
    if (timeout.count() % 1000 == 0) {
        std::snprintf(text, sizeof text, "%lld s", static_cast<long long>(timeout.count() / 1000));
    } else {
        std::snprintf(text, sizeof text, "%.3g s", static_cast<double>(timeout.count()) / 1000.0);
    }
    return text;
}

}  // namespace

void TcpConnector::connect(std::string host, uint16_t port, std::chrono::milliseconds timeout,
                           Handler on_result) {
    cancel();
    host_ = std::move(host);
    port_ = port;
    timeout_ = timeout;
    on_result_ = std::move(on_result);

    arm_deadline(timeout_);

    auto* request = new uv_getaddrinfo_t{};
    request->data = this;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    const std::string service = std::to_string(port_);
    int rc = uv_getaddrinfo(loop_, request, &TcpConnector::on_resolved, host_.c_str(),
                            service.c_str(), &hints);
    if (rc < 0) {
        delete request;
        early_error_ = "cannot resolve host " + host_ + ": " + uv_strerror(rc);
        arm_deadline(std::chrono::milliseconds(0));
        return;
    }
    resolving_ = request;
}

// A timer libuv refuses (it never does) fails the call itself, before anything is under way.
void TcpConnector::arm_deadline(std::chrono::milliseconds delay) {
    if (auto armed = timer_.start(delay, [this] { on_deadline(); }); !armed) {
        on_result_ = nullptr;
        throw std::runtime_error(armed.error().message);
    }
}

void TcpConnector::cancel() {
    if (resolving_ != nullptr) {
        resolving_->data = nullptr;
        uv_cancel(reinterpret_cast<uv_req_t*>(resolving_));
        resolving_ = nullptr;
    }
    drop_attempt();
    timer_.stop();
    on_result_ = nullptr;
    addresses_.clear();
    tried_.clear();
    next_address_ = 0;
    last_error_ = 0;
    early_error_.clear();
}

void TcpConnector::drop_attempt() {
    attempt_ = UvHandle<uv_tcp_t>();
}

void TcpConnector::on_resolved(uv_getaddrinfo_t* request, int status, addrinfo* result) {
    auto* self = static_cast<TcpConnector*>(request->data);
    delete request;
    if (self == nullptr) {
        uv_freeaddrinfo(result);
        return;
    }
    self->resolving_ = nullptr;
    if (status < 0) {
        uv_freeaddrinfo(result);
        self->finish(make_error("cannot resolve host " + self->host_ + ": " + uv_strerror(status)));
        return;
    }
    for (addrinfo* entry = result; entry != nullptr; entry = entry->ai_next) {
        if (entry->ai_family != AF_INET && entry->ai_family != AF_INET6) continue;
        sockaddr_storage address{};
        std::memcpy(&address, entry->ai_addr, entry->ai_addrlen);
        self->addresses_.push_back(address);
    }
    uv_freeaddrinfo(result);
    if (self->addresses_.empty()) {
        self->finish(
            make_error("cannot resolve host " + self->host_ + ": no IPv4 or IPv6 address"));
        return;
    }
    self->try_next_address();
}

void TcpConnector::try_next_address() {
    while (next_address_ < addresses_.size()) {
        const sockaddr* address = reinterpret_cast<const sockaddr*>(&addresses_[next_address_++]);
        tried_.push_back(format_sockaddr(address));
        int rc = attempt_.open([this](uv_tcp_t* tcp) { return uv_tcp_init(loop_, tcp); });
        if (rc < 0) {
            last_error_ = rc;
            continue;
        }
        attempt_.get()->data = this;
        auto* request = new uv_connect_t{};
        rc = uv_tcp_connect(request, attempt_.get(), address, &TcpConnector::on_connected);
        if (rc == 0) return;
        delete request;
        last_error_ = rc;
        drop_attempt();
    }
    finish(make_error(connect_failure()));
}

void TcpConnector::on_connected(uv_connect_t* request, int status) {
    auto* self = static_cast<TcpConnector*>(request->handle->data);
    delete request;
    if (self == nullptr) return;
    if (status < 0) {
        self->last_error_ = status;
        self->drop_attempt();
        self->try_next_address();
        return;
    }
    self->attempt_.get()->data = nullptr;
    auto stream = std::make_unique<TcpStream>(std::move(self->attempt_));
    self->finish(std::move(stream));
}

void TcpConnector::on_deadline() {
    std::string message;
    if (!early_error_.empty()) {
        message = early_error_;
    } else if (resolving_ != nullptr) {
        message = "cannot resolve host " + host_ + ": timed out after " + format_seconds(timeout_);
    } else {
        message = "connect to " + target() + " timed out after " + format_seconds(timeout_);
    }
    finish(make_error(message));
}

void TcpConnector::finish(Result<std::unique_ptr<TcpStream>> result) {
    Handler on_result = std::move(on_result_);
    cancel();
    if (on_result) on_result(std::move(result));
}

std::string TcpConnector::target() const {
    return format_host_port(host_, port_);
}

std::string TcpConnector::connect_failure() const {
    std::string message;
    if (last_error_ == UV_ECONNREFUSED) {
        message = "connection to " + target() + " refused";
    } else {
        message = "cannot connect to " + target() + ": " + uv_strerror(last_error_);
    }
    if (tried_.size() > 1 || (tried_.size() == 1 && tried_[0] != target())) {
        message += " (tried";
        for (std::size_t i = 0; i < tried_.size(); ++i) message += (i ? ", " : " ") + tried_[i];
        message += ")";
    }
    return message;
}

}  // namespace mb::net
