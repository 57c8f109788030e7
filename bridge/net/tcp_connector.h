// TcpConnector: resolves host:port off the loop (uv_getaddrinfo) and connects to each address in
// turn, all under one deadline, delivering a connected TcpStream or an error naming the step.
// Owned by the requester (one attempt at a time); cancel() or destruction guarantees the handler
// is never called afterwards. In-flight libuv requests outlive it safely (they hold no pointer
// to a gone connector).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bridge/net/tcp_stream.h"
#include "bridge/net/uv_handle.h"
#include "bridge/net/uv_timer.h"
#include "protocol/result.h"

namespace mb::net {

class TcpConnector {
  public:
    using Handler = std::function<void(Result<std::unique_ptr<TcpStream>>)>;

    explicit TcpConnector(uv_loop_t* loop) : loop_(loop), timer_(loop) {}
    TcpConnector(const TcpConnector&) = delete;
    TcpConnector& operator=(const TcpConnector&) = delete;
    ~TcpConnector() { cancel(); }

    // Starts an attempt (cancelling any earlier one). on_result runs exactly once, always from a
    // later loop callback, unless cancel() comes first. Errors read like
    // "cannot resolve host X: unknown node or service", "connection to X:993 refused",
    // "connect to X:993 timed out after 10 s".
    void connect(std::string host, uint16_t port, std::chrono::milliseconds timeout,
                 Handler on_result);
    void cancel();
    bool busy() const { return static_cast<bool>(on_result_); }

  private:
    static void on_resolved(uv_getaddrinfo_t* request, int status, addrinfo* result);
    static void on_connected(uv_connect_t* request, int status);

    void arm_deadline(std::chrono::milliseconds delay);
    void on_deadline();
    void try_next_address();
    void drop_attempt();
    void finish(Result<std::unique_ptr<TcpStream>> result);
    std::string target() const;
    std::string connect_failure() const;

    uv_loop_t* loop_;
    UvTimer timer_;
    UvHandle<uv_tcp_t> attempt_;
    uv_getaddrinfo_t* resolving_ = nullptr;  // freed by on_resolved, which may run after us
    Handler on_result_;
    std::string host_;
    uint16_t port_ = 0;
    std::chrono::milliseconds timeout_{0};
    std::vector<sockaddr_storage> addresses_;
    std::size_t next_address_ = 0;
    std::vector<std::string> tried_;
    int last_error_ = 0;
    std::string early_error_;  // a failure found synchronously, delivered from the timer
};

}  // namespace mb::net
