// TcpListener: see tcp_listener.h.
#include "bridge/net/tcp_listener.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include "bridge/net/socket_address.h"

namespace mb::net {

Result<std::unique_ptr<TcpListener>> TcpListener::listen(uv_loop_t* loop, const std::string& host,
                                                         uint16_t port, AcceptHandler on_accept,
                                                         int backlog) {
    const std::string wanted = format_host_port(host, port);
    auto fail = [&](const std::string& why) {
        return make_error("cannot listen on " + wanted + ": " + why);
    };
    auto address = parse_ip_address(host, port);
    if (!address) return fail(address.error().message);

    std::unique_ptr<TcpListener> listener(new TcpListener(std::move(on_accept)));
    int rc = listener->handle_.open([loop](uv_tcp_t* tcp) { return uv_tcp_init(loop, tcp); });
    if (rc < 0) return fail(uv_strerror(rc));
    listener->handle_.get()->data = listener.get();
    rc = uv_tcp_bind(listener->handle_.get(), reinterpret_cast<const sockaddr*>(&*address), 0);
    if (rc == 0) {
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener->handle_.get()), backlog,
                       &TcpListener::on_connection);
    }
    if (rc < 0) return fail(uv_strerror(rc));

    sockaddr_storage bound{};
    int length = sizeof bound;
    uv_tcp_getsockname(listener->handle_.get(), reinterpret_cast<sockaddr*>(&bound), &length);
    listener->address_ = format_sockaddr(reinterpret_cast<sockaddr*>(&bound));
    listener->port_ = bound.ss_family == AF_INET6
                          ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                          : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return listener;
}

void TcpListener::stop() {
    handle_.close();
}

void TcpListener::on_connection(uv_stream_t* server, int status) {
    auto* self = static_cast<TcpListener*>(server->data);
    if (self == nullptr) return;
    if (status < 0) {
        spdlog::warn("accepting a connection on {} failed: {}; still listening", self->address_,
                     uv_strerror(status));
        return;
    }
    self->accept_one();
}

void TcpListener::accept_one() {
    uv_loop_t* loop = handle_.get()->loop;
    UvHandle<uv_tcp_t> client;
    int rc = client.open([loop](uv_tcp_t* tcp) { return uv_tcp_init(loop, tcp); });
    if (rc == 0) {
        rc = uv_accept(reinterpret_cast<uv_stream_t*>(handle_.get()),
                       reinterpret_cast<uv_stream_t*>(client.get()));
    }
    if (rc < 0) {
        spdlog::warn(
            "accepting a connection on {} failed: {} (raise the open-file limit if this "
            "says too many open files)",
            address_, uv_strerror(rc));
        return;
    }
    auto on_accept = on_accept_;
    on_accept(std::make_unique<TcpStream>(std::move(client)));
}

}  // namespace mb::net
