// UpstreamDialer: opens the transport to an upstream server — TCP (directly, or to a proxy, [TLS to
// an https proxy,] CONNECT with authentication), then TLS at once for implicit TLS — within one
// deadline, and reports each step's time. STARTTLS protocols get the plain stream and call
// start_tls() after their own exchange. Owned by one session; destroying it (or cancel())
// guarantees its callback never runs.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/net/byte_stream.h"
#include "bridge/net/proxy_tunnel.h"
#include "bridge/net/tcp_connector.h"
#include "bridge/net/tls_channel.h"
#include "bridge/net/tls_context.h"
#include "bridge/net/uv_timer.h"
#include "protocol/result.h"

namespace mb::net {

// Why an upstream could not be reached: a closed set, so sessions map each to a reply.
// proxy: the proxy was unreachable, could not reach the upstream, or its TLS failed;
// proxy_auth: it refused the configured credentials (407 after them) or asked for a scheme the
// [[proxy]] settings do not allow; proxy_refused: it forbade the tunnel (403). The last two are
// the proxy's configuration, not a struggling upstream.
enum class DialFailure { connect, timeout, tls, proxy, proxy_auth, proxy_refused };

struct DialError {
    DialFailure failure = DialFailure::connect;
    std::string message;
};

struct DialTimings {
    std::chrono::milliseconds tcp{0};  // TCP connect (to the proxy when one is used)
    std::optional<std::chrono::milliseconds> tls;
    std::optional<TlsSessionInfo> tls_info;
    // Through a proxy: TCP + TLS (https proxy) to it, then the CONNECT exchange with any
    // authentication round and reconnect; the scheme answered ("Basic", "Digest MD5"; empty: none).
    std::optional<std::chrono::milliseconds> proxy_connect;
    std::optional<std::chrono::milliseconds> proxy_tunnel;
    std::string proxy_auth_scheme;
    std::string proxy;  // the [[proxy]] name used; empty when direct
};

struct DialTarget {
    std::string host;
    uint16_t port = 0;
    bool implicit_tls = true;
    const TlsClientContext* tls = nullptr;  // must outlive the dial and the stream
    // Tunnel through this proxy unless host matches its no_proxy list.
    std::optional<ProxyTarget> proxy;
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
    // Wraps an open plain stream in TLS (STARTTLS) and waits for the handshake within `timeout`
    // (the caller's connect_timeout budget left after the dial and the STARTTLS exchange).
    void start_tls(std::unique_ptr<ByteStream> plain, const DialTarget& target,
                   std::chrono::milliseconds timeout, Done done);
    void cancel();

    const DialTimings& timings() const { return timings_; }

  private:
    using Ready = std::function<void(std::unique_ptr<ByteStream>)>;

    bool arm_deadline(std::chrono::milliseconds timeout);
    void on_deadline();
    void connected(std::unique_ptr<ByteStream> stream);
    void handshake(std::unique_ptr<ByteStream> plain);
    void connect_proxy(Ready ready);
    void start_tunnel(std::unique_ptr<ByteStream> to_proxy);
    // TLS to `host` over plain; ready gets the stream, failures finish the dial as `failure`.
    void secure(std::unique_ptr<ByteStream> plain, const TlsClientContext& context,
                const std::string& host, DialFailure failure, std::string peer, Ready ready);
    void finish(std::unique_ptr<ByteStream> stream, std::optional<DialError> error);

    TcpConnector connector_;
    UvTimer deadline_;
    std::unique_ptr<ByteStream> pending_;  // a TLS stream in its handshake
    std::unique_ptr<ProxyTunnel> tunnel_;  // the CONNECT exchange; kept until the next dial
    std::shared_ptr<const TlsClientContext> proxy_tls_;  // for an https proxy
    DialTarget target_;
    Done done_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point deadline_at_;
    DialTimings timings_;
};

}  // namespace mb::net
