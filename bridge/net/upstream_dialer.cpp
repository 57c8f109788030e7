// TCP connect, the optional proxy tunnel and the TLS handshakes for UpstreamDialer, bounded by
// one deadline timer.
#include "bridge/net/upstream_dialer.h"

#include <cstdio>

#include "bridge/net/tls_stream.h"
#include "protocol/http/no_proxy.h"

namespace mb::net {
namespace {

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

void tune(TcpStream& stream) {
    (void)stream.set_nodelay(true);
    (void)stream.set_keepalive(true, 60);
}

DialFailure dial_failure_of(TunnelFailure kind) {
    switch (kind) {
        case TunnelFailure::auth:
            return DialFailure::proxy_auth;
        case TunnelFailure::forbidden:
            return DialFailure::proxy_refused;
        case TunnelFailure::other:
            break;
    }
    return DialFailure::proxy;
}

}  // namespace

UpstreamDialer::UpstreamDialer(uv_loop_t* loop) : connector_(loop), deadline_(loop) {}

UpstreamDialer::~UpstreamDialer() {
    cancel();
}

void UpstreamDialer::cancel() {
    done_ = nullptr;
    connector_.cancel();
    deadline_.close();
    pending_.reset();
    tunnel_.reset();
}

// False when libuv refused the timer (it never does): the dial then finished with that error.
bool UpstreamDialer::arm_deadline(std::chrono::milliseconds timeout) {
    deadline_at_ = std::chrono::steady_clock::now() + timeout;
    auto armed = deadline_.start(timeout, [this] { on_deadline(); });
    if (!armed) finish(nullptr, DialError{DialFailure::connect, armed.error().message});
    return armed.ok();
}

void UpstreamDialer::on_deadline() {
    connector_.cancel();
    pending_.reset();
    tunnel_.reset();
    auto seconds =
        std::chrono::duration_cast<std::chrono::duration<double>>(deadline_at_ - started_).count();
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    std::string via;
    if (!timings_.proxy.empty()) via = " through " + target_.proxy->describe();
    finish(nullptr, DialError{DialFailure::timeout,
                              "connection to " + target_.host + ":" + std::to_string(target_.port) +
                                  via + " timed out after " + text + " s (connect_timeout)"});
}

void UpstreamDialer::dial(const DialTarget& target, std::chrono::milliseconds timeout, Done done) {
    tunnel_.reset();
    target_ = target;
    done_ = std::move(done);
    timings_ = {};
    started_ = std::chrono::steady_clock::now();
    if (!arm_deadline(timeout)) return;
    if (target_.proxy && !protocol::http::bypasses_proxy(target_.host, target_.proxy->no_proxy)) {
        timings_.proxy = target_.proxy->name;
        proxy_tls_ = target_.proxy->tls;
        if (target_.proxy->https && !proxy_tls_) {
            if (auto loaded = target_.proxy->load_tls(); !loaded) {
                finish(nullptr, DialError{DialFailure::proxy, loaded.error().message});
                return;
            }
            proxy_tls_ = target_.proxy->tls;
        }
        tunnel_ = std::make_unique<ProxyTunnel>(
            *target_.proxy, target_.host, target_.port,
            ProxyTunnel::Handlers{
                .reconnect =
                    [this] {
                        connect_proxy([this](std::unique_ptr<ByteStream> stream) {
                            tunnel_->resume(std::move(stream));
                        });
                    },
                .established =
                    [this](std::unique_ptr<ByteStream> stream) {
                        timings_.proxy_tunnel = since(started_) - *timings_.proxy_connect;
                        timings_.proxy_auth_scheme = tunnel_->auth_scheme();
                        connected(std::move(stream));
                    },
                .failed =
                    [this](Error error) {
                        finish(nullptr, DialError{dial_failure_of(tunnel_->failure_kind()),
                                                  std::move(error.message)});
                    },
            });
        connect_proxy([this](std::unique_ptr<ByteStream> stream) {
            timings_.proxy_connect = since(started_);
            tunnel_->start(std::move(stream));
        });
        return;
    }
    connector_.connect(
        target.host, target.port, timeout + std::chrono::milliseconds(1000),
        [this](Result<std::unique_ptr<TcpStream>> result) {
            timings_.tcp = since(started_);
            if (!result) {
                finish(nullptr, DialError{DialFailure::connect, result.error().message});
                return;
            }
            auto stream = std::move(result.value());
            tune(*stream);
            connected(std::move(stream));
        });
}

void UpstreamDialer::connect_proxy(Ready ready) {
    auto tcp_started = std::chrono::steady_clock::now();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_at_ - std::chrono::steady_clock::now());
    connector_.connect(
        target_.proxy->host, target_.proxy->port, left + std::chrono::milliseconds(1000),
        [this, tcp_started, ready = std::move(ready)](Result<std::unique_ptr<TcpStream>> result) {
            timings_.tcp = since(tcp_started);
            const ProxyTarget& proxy = *target_.proxy;
            if (!result) {
                finish(nullptr, DialError{DialFailure::proxy, proxy.describe() + " unreachable: " +
                                                                  result.error().message});
                return;
            }
            auto stream = std::move(result.value());
            tune(*stream);
            if (!proxy.https) {
                ready(std::move(stream));
                return;
            }
            secure(std::move(stream), *proxy_tls_, proxy.host, DialFailure::proxy, proxy.describe(),
                   ready);
        });
}

void UpstreamDialer::connected(std::unique_ptr<ByteStream> stream) {
    if (!target_.implicit_tls) {
        finish(std::move(stream), std::nullopt);
        return;
    }
    handshake(std::move(stream));
}

void UpstreamDialer::start_tls(std::unique_ptr<ByteStream> plain, const DialTarget& target,
                               std::chrono::milliseconds timeout, Done done) {
    tunnel_.reset();
    target_ = target;
    done_ = std::move(done);
    // The caller passes what is left of its connect_timeout budget (the dial's deadline timer
    // stopped when the dial finished, so it is armed again here).
    started_ = std::chrono::steady_clock::now();
    if (!arm_deadline(timeout)) return;
    handshake(std::move(plain));
}

void UpstreamDialer::handshake(std::unique_ptr<ByteStream> plain) {
    auto tls_started = std::chrono::steady_clock::now();
    secure(std::move(plain), *target_.tls, target_.host, DialFailure::tls,
           "upstream " + target_.host + ":" + std::to_string(target_.port),
           [this, tls_started](std::unique_ptr<ByteStream> stream) {
               timings_.tls = since(tls_started);
               timings_.tls_info = static_cast<TlsStream&>(*stream).channel().info();
               finish(std::move(stream), std::nullopt);
           });
}

void UpstreamDialer::secure(std::unique_ptr<ByteStream> plain, const TlsClientContext& context,
                            const std::string& host, DialFailure failure, std::string peer,
                            Ready ready) {
    auto channel = TlsChannel::client(context, host);
    if (!channel) {
        finish(nullptr, DialError{failure, channel.error().message});
        return;
    }
    auto stream = std::make_unique<TlsStream>(std::move(plain), std::move(channel.value()));
    auto* tls = stream.get();
    tls->set_handshake_handler([this, ready = std::move(ready)] {
        auto secured = std::move(pending_);
        secured->stop_reading();
        secured->set_handlers({});
        ready(std::move(secured));
    });
    tls->set_handlers({.on_data = {},
                       .on_drained = {},
                       .on_closed = [this, failure, peer](const CloseReason& reason) {
                           // Runs from the loop; the stream dies with pending_ below.
                           auto error = DialError{failure, reason.message};
                           if (reason.cause == CloseCause::peer) {
                               error.message = peer +
                                               " closed the connection during the TLS "
                                               "handshake (is it a TLS port?)";
                           } else if (failure == DialFailure::proxy) {
                               error.message = "TLS to " + peer + " failed: " + reason.message;
                           }
                           pending_.reset();
                           finish(nullptr, std::move(error));
                       }});
    pending_ = std::move(stream);
    pending_->start_reading();
}

void UpstreamDialer::finish(std::unique_ptr<ByteStream> stream, std::optional<DialError> error) {
    deadline_.stop();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(stream), std::move(error));
}

}  // namespace mb::net
