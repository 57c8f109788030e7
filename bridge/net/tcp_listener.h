// TcpListener: a listening TCP socket on an IPv4/IPv6 address that hands each accepted
// connection to its owner as a TcpStream. Owned by the daemon; it owns only its listening handle
// (closing it stops accepting), while every accepted TcpStream belongs to whoever receives it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bridge/net/tcp_stream.h"
#include "bridge/net/uv_handle.h"
#include "protocol/result.h"

namespace mb::net {

class TcpListener {
  public:
    using AcceptHandler = std::function<void(std::unique_ptr<TcpStream>)>;

    // Binds and listens on host:port. host is an IP literal ("localhost" = 127.0.0.1); port 0
    // picks a free port (see port()). Error: "cannot listen on 127.0.0.1:1143: address already in
    // use".
    static Result<std::unique_ptr<TcpListener>> listen(uv_loop_t* loop, const std::string& host,
                                                       uint16_t port, AcceptHandler on_accept,
                                                       int backlog = 511);
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;
    ~TcpListener() = default;

    // Stops accepting and closes the listening socket; idempotent.
    void stop();
    bool is_listening() const { return handle_.is_open(); }
    uint16_t port() const { return port_; }
    // "127.0.0.1:1143", as bound.
    const std::string& address() const { return address_; }

  private:
    TcpListener(AcceptHandler on_accept) : on_accept_(std::move(on_accept)) {}
    static void on_connection(uv_stream_t* server, int status);
    void accept_one();

    UvHandle<uv_tcp_t> handle_;
    AcceptHandler on_accept_;
    uint16_t port_ = 0;
    std::string address_;
};

}  // namespace mb::net
