// ProxyTunnel: opens a CONNECT tunnel through an HTTP proxy over a connected ByteStream to the
// proxy (plain TCP for http://, TLS for https://), with one authentication round (Basic or Digest
// per ProxyTarget::auth). When the proxy closes the connection after its 407 the tunnel asks its
// owner to reconnect and carries on over the new stream. On 200 it hands the stream over, wrapped
// in a ReplayStream when bytes behind the 200 (a server greeting) came in the same read.
// Owned by one UpstreamDialer for one dial; destroying it drops the stream and no handler runs.
#pragma once

#include <uv.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bridge/net/byte_stream.h"
#include "bridge/net/proxy_target.h"
#include "bridge/net/tls_context.h"
#include "bridge/net/uv_timer.h"
#include "protocol/http/proxy_authenticator.h"
#include "protocol/http/response_head_parser.h"
#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::net {

// A ByteStream over another that first delivers bytes already received (from a later loop
// callback, once reading starts), then reads on from the inner stream. Everything else passes
// through. Owns the inner stream and one timer.
class ReplayStream final : public ByteStream {
  public:
    ReplayStream(std::unique_ptr<ByteStream> inner, std::string replay);
    ~ReplayStream() override;

    void start_reading() override;
    void stop_reading() override;
    void write(std::string_view bytes) override { inner_->write(bytes); }
    void write(std::string&& bytes) override { inner_->write(std::move(bytes)); }
    using ByteStream::write;
    std::size_t queued_bytes() const override { return inner_->queued_bytes(); }
    void set_low_water_mark(std::size_t bytes) override { inner_->set_low_water_mark(bytes); }
    void close() override { inner_->close(); }
    void abort(CloseReason reason) override { inner_->abort(std::move(reason)); }
    bool is_closing() const override { return inner_->is_closing(); }
    std::string peer_address() const override { return inner_->peer_address(); }
    uv_loop_t* loop() const override { return inner_->loop(); }

  private:
    void deliver();

    std::unique_ptr<ByteStream> inner_;
    std::string replay_;
    UvTimer timer_;
    bool reading_ = false;
};

// What kind of refusal ended a tunnel: the credentials or auth scheme (a 407 the tunnel cannot
// or may no longer answer), the proxy's rules (403), or anything else (unreachable, 5xx, garbage).
enum class TunnelFailure { other, auth, forbidden };

class ProxyTunnel {
  public:
    struct Handlers {
        // The proxy closed the connection after a 407: open a new one and call resume().
        std::function<void()> reconnect;
        // The tunnel to host:port is open; the stream is not reading and has no handlers.
        std::function<void(std::unique_ptr<ByteStream>)> established;
        // The tunnel cannot be opened; the message says what failed and what to do.
        std::function<void(Error)> failed;
    };

    // `proxy` must outlive the tunnel. Handlers run from loop callbacks and may destroy the
    // tunnel.
    ProxyTunnel(const ProxyTarget& proxy, std::string host, uint16_t port, Handlers handlers);
    ~ProxyTunnel();
    ProxyTunnel(const ProxyTunnel&) = delete;
    ProxyTunnel& operator=(const ProxyTunnel&) = delete;

    // Sends CONNECT over a fresh connection to the proxy (start) or the one opened after a
    // reconnect request (resume: with the credentials prepared from the 407).
    void start(std::unique_ptr<ByteStream> to_proxy);
    void resume(std::unique_ptr<ByteStream> to_proxy) { start(std::move(to_proxy)); }

    // The scheme answered ("Basic", "Digest MD5"…); empty when the proxy asked for none.
    const std::string& auth_scheme() const { return authenticator_.scheme(); }
    // Why the tunnel failed, once `failed` runs.
    TunnelFailure failure_kind() const { return failure_kind_; }

  private:
    void send_connect();
    void on_data(std::string_view bytes);
    void on_response(std::string_view rest);
    void on_closed(const CloseReason& reason);
    // Ends the attempt: closes the stream; `failed` runs from its on_closed.
    void fail(std::string message, TunnelFailure kind = TunnelFailure::other);

    const ProxyTarget& proxy_;
    std::string host_;
    uint16_t port_;
    std::string authority_;
    Handlers handlers_;
    protocol::http::ProxyAuthenticator authenticator_;
    protocol::http::ResponseHeadParser parser_;
    std::unique_ptr<ByteStream> stream_;
    Secret authorization_;
    std::string failure_;
    TunnelFailure failure_kind_ = TunnelFailure::other;
    bool reconnect_wanted_ = false;
    bool response_started_ = false;
    bool last_was_reusable_407_ = false;
    int reconnects_ = 0;
};

}  // namespace mb::net
