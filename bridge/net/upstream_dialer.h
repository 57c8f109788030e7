// UpstreamDialer: opens the transport to an upstream server — TCP, then TLS at once for implicit
// TLS — within one deadline, and reports each step's time. STARTTLS protocols get the plain stream
// and call start_tls() after their own exchange. Owned by one session; destroying it (or cancel())
// guarantees its callback never runs.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/net/byte_stream.h"
#include "bridge/net/tcp_connector.h"
#include "bridge/net/tls_channel.h"
#include "bridge/net/tls_context.h"
#include "bridge/net/uv_handle.h"
#include "protocol/result.h"

namespace mb::net {

// Why an upstream could not be reached: a closed set, so sessions map each to a reply.
enum class DialFailure { connect, timeout, tls };

struct DialError {
    DialFailure failure = DialFailure::connect;
    std::string message;
};

struct DialTimings {
    std::chrono::milliseconds tcp{0};
    std::optional<std::chrono::milliseconds> tls;
    std::optional<TlsSessionInfo> tls_info;
};

struct DialTarget {
    std::string host;
    uint16_t port = 0;
    bool implicit_tls = true;
    const TlsClientContext* tls = nullptr;  // must outlive the dial and the stream
};

class UpstreamDialer {
  public:
    using Done = std::function<void(std::unique_ptr<ByteStream>, std::optional<DialError>)>;

    explicit UpstreamDialer(uv_loop_t* loop);
    ~UpstreamDialer();
    UpstreamDialer(const UpstreamDialer&) = delete;
    UpstreamDialer& operator=(const UpstreamDialer&) = delete;

    // Connects; `done` gets the stream (TLS established when implicit) or the error.
    void dial(const DialTarget& target, std::chrono::milliseconds timeout, Done done);
    // Wraps an open plain stream in TLS (STARTTLS) and waits for the handshake, within what is
    // left of the deadline set by dial() (or `timeout` when no dial ran).
    void start_tls(std::unique_ptr<ByteStream> plain, const DialTarget& target,
                   std::chrono::milliseconds timeout, Done done);
    void cancel();

    const DialTimings& timings() const { return timings_; }

  private:
    void arm_deadline(std::chrono::milliseconds timeout);
    void handshake(std::unique_ptr<ByteStream> plain);
    void finish(std::unique_ptr<ByteStream> stream, std::optional<DialError> error);

    uv_loop_t* loop_;
    TcpConnector connector_;
    UvHandle<uv_timer_t> deadline_;
    std::unique_ptr<ByteStream> pending_;  // a TLS stream in its handshake
    DialTarget target_;
    Done done_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point deadline_at_;
    DialTimings timings_;
};

}  // namespace mb::net
