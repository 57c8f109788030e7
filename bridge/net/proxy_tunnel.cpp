// ProxyTunnel and ReplayStream: see proxy_tunnel.h. The tunnel never ends a stream from inside
// one of its callbacks: failures abort the stream and are reported from its on_closed, the only
// place a stream may be destroyed; a reconnect request follows the same path.
#include "bridge/net/proxy_tunnel.h"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "protocol/http/connect_request.h"

namespace mb::net {
namespace http = protocol::http;

namespace {

// Reconnects after the proxy closed its side following a 407 (one is normal; more is a loop).
constexpr int kMaxReconnects = 2;
// Reason phrases quoted in messages are cut to this length.
constexpr std::size_t kMaxQuotedReason = 64;

std::string random_cnonce() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("RAND_bytes failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char b : bytes) {
        hex.push_back(kHex[b >> 4]);
        hex.push_back(kHex[b & 0x0f]);
    }
    return hex;
}

std::string status_text(const http::ResponseHead& head) {
    std::string reason = head.reason.substr(0, kMaxQuotedReason);
    if (reason.empty()) {
        switch (head.status) {
            case 403:
                reason = "Forbidden";
                break;
            case 407:
                reason = "Proxy Authentication Required";
                break;
            case 502:
                reason = "Bad Gateway";
                break;
            case 503:
                reason = "Service Unavailable";
                break;
            case 504:
                reason = "Gateway Timeout";
                break;
            default:
                break;
        }
    }
    return reason.empty() ? std::to_string(head.status)
                          : std::to_string(head.status) + " " + reason;
}

}  // namespace

Result<void> ProxyTarget::load_tls() {
    if (!https || tls) return {};
    auto context = TlsClientContext::create({ca_file, true});
    if (!context)
        return make_error("cannot set up TLS to " + describe() + ": " + context.error().message);
    tls = std::make_shared<const TlsClientContext>(std::move(context).value());
    return {};
}

std::string ProxyTarget::describe() const {
    return "proxy " + name + " (" + url + ")";
}

ReplayStream::ReplayStream(std::unique_ptr<ByteStream> inner, std::string replay)
    : inner_(std::move(inner)), replay_(std::move(replay)), timer_(inner_->loop()) {
    inner_->set_handlers({
        [this](std::string_view bytes) { emit_data(bytes); },
        [this] { emit_drained(); },
        [this](const CloseReason& reason) {
            timer_.close();
            emit_closed(reason);
        },
    });
}

ReplayStream::~ReplayStream() = default;

void ReplayStream::start_reading() {
    reading_ = true;
    if (replay_.empty()) {
        inner_->start_reading();
        return;
    }
    if (inner_->is_closing()) return;
    if (auto started = timer_.start(std::chrono::milliseconds(0), [this] { deliver(); }); !started)
        inner_->abort({CloseCause::error, started.error().message});
}

void ReplayStream::stop_reading() {
    reading_ = false;
    timer_.stop();
    inner_->stop_reading();
}

void ReplayStream::deliver() {
    if (!reading_ || inner_->is_closing()) return;
    std::string bytes = std::move(replay_);
    replay_.clear();
    emit_data(bytes);
    if (reading_ && !inner_->is_closing()) inner_->start_reading();
}

ProxyTunnel::ProxyTunnel(const ProxyTarget& proxy, std::string host, uint16_t port,
                         Handlers handlers)
    : proxy_(proxy),
      host_(std::move(host)),
      port_(port),
      authority_(http::connect_authority(host_, port_)),
      handlers_(std::move(handlers)),
      authenticator_(proxy.auth, proxy.username, proxy.password) {}

ProxyTunnel::~ProxyTunnel() {
    if (stream_) stream_->set_handlers({});
}

void ProxyTunnel::start(std::unique_ptr<ByteStream> to_proxy) {
    stream_ = std::move(to_proxy);
    parser_ = {};
    response_started_ = false;
    reconnect_wanted_ = false;
    stream_->set_handlers({.on_data = [this](std::string_view bytes) { on_data(bytes); },
                           .on_drained = {},
                           .on_closed = [this](const CloseReason& reason) { on_closed(reason); }});
    send_connect();
    stream_->start_reading();
}

void ProxyTunnel::send_connect() {
    auto request = http::connect_request(host_, port_, authorization_);
    if (!request) {
        fail("cannot send CONNECT to " + proxy_.describe() + ": " + request.error().message);
        return;
    }
    stream_->write(std::string_view(request->reveal()));
}

void ProxyTunnel::on_data(std::string_view bytes) {
    if (!failure_.empty() || reconnect_wanted_ || !stream_) return;
    response_started_ = true;
    auto progress = parser_.feed(bytes);
    switch (progress.state) {
        case http::ResponseState::need_more:
            return;
        case http::ResponseState::failed:
            fail(proxy_.describe() + " sent a malformed answer to CONNECT (" + parser_.error() +
                 "); check that url names an HTTP proxy");
            return;
        case http::ResponseState::done:
            on_response(bytes.substr(progress.consumed));
            return;
    }
}

void ProxyTunnel::on_response(std::string_view rest) {
    const auto& head = parser_.head();
    const int status = head.status;
    last_was_reusable_407_ = false;
    if (status >= 200 && status < 300) {
        auto stream = std::move(stream_);
        stream->stop_reading();
        stream->set_handlers({});
        if (!rest.empty())
            stream = std::make_unique<ReplayStream>(std::move(stream), std::string(rest));
        auto established = handlers_.established;
        established(std::move(stream));
        return;
    }
    if (status == 407) {
        const bool answered_before = !authenticator_.scheme().empty();
        auto answer = authenticator_.answer(head, authority_, random_cnonce());
        if (!answer && answered_before) {
            fail(proxy_.describe() +
                     ": proxy authentication failed (407 after credentials); check [[proxy]] " +
                     proxy_.name + " username/password",
                 TunnelFailure::auth);
            return;
        }
        if (!answer) {
            fail(proxy_.describe() + ": " + answer.error().message, TunnelFailure::auth);
            return;
        }
        authorization_ = std::move(answer).value();
        if (parser_.reusable()) {
            if (!rest.empty()) {
                fail(proxy_.describe() + " sent unexpected bytes after its 407 answer");
                return;
            }
            last_was_reusable_407_ = true;
            parser_ = {};
            response_started_ = false;
            send_connect();
            return;
        }
        if (++reconnects_ > kMaxReconnects) {
            fail(proxy_.describe() + " closed the connection after every 407; check its logs");
            return;
        }
        reconnect_wanted_ = true;
        stream_->close();
        return;
    }
    const std::string answer = "(" + status_text(head) + ")";
    switch (status) {
        case 403:
            fail(proxy_.describe() + " refused CONNECT to " + authority_ + " " + answer +
                     "; allow this host and port in the proxy's rules for [[proxy]] " +
                     proxy_.name + "'s user, or list the host in no_proxy",
                 TunnelFailure::forbidden);
            return;
        case 502:
        case 503:
            fail(proxy_.describe() + " could not reach " + authority_ + " " + answer +
                 "; check the upstream host and port");
            return;
        case 504:
            fail(proxy_.describe() + " could not reach " + authority_ + " in time " + answer);
            return;
        default:
            fail(proxy_.describe() + " answered CONNECT to " + authority_ + " with " +
                 status_text(head));
            return;
    }
}

void ProxyTunnel::fail(std::string message, TunnelFailure kind) {
    failure_ = std::move(message);
    failure_kind_ = kind;
    if (stream_) stream_->abort({CloseCause::error, failure_});
}

void ProxyTunnel::on_closed(const CloseReason& reason) {
    // The only place the stream may be destroyed; handlers may destroy this tunnel.
    auto closed = std::move(stream_);
    const bool closed_kept_alive = last_was_reusable_407_ && !response_started_ &&
                                   failure_.empty() && reconnects_ < kMaxReconnects;
    if (reconnect_wanted_ || closed_kept_alive) {
        if (closed_kept_alive) ++reconnects_;
        reconnect_wanted_ = false;
        last_was_reusable_407_ = false;
        auto reconnect = handlers_.reconnect;
        closed.reset();
        reconnect();
        return;
    }
    std::string message = failure_;
    if (message.empty()) {
        message =
            proxy_.describe() + " closed the connection before answering CONNECT to " + authority_;
        if (reason.cause == CloseCause::error && !reason.message.empty())
            message += " (" + reason.message + ")";
    }
    auto failed = handlers_.failed;
    closed.reset();
    failed(Error{std::move(message)});
}

}  // namespace mb::net
