// TCP connect and TLS handshake for UpstreamDialer, bounded by one deadline timer.
#include "bridge/net/upstream_dialer.h"

#include <cstdio>

#include "bridge/net/tls_stream.h"

namespace mb::net {
namespace {

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

}  // namespace

UpstreamDialer::UpstreamDialer(uv_loop_t* loop) : loop_(loop), connector_(loop) {}

UpstreamDialer::~UpstreamDialer() {
    cancel();
}

void UpstreamDialer::cancel() {
    done_ = nullptr;
    connector_.cancel();
    deadline_.close();
    pending_.reset();
}

void UpstreamDialer::arm_deadline(std::chrono::milliseconds timeout) {
    deadline_at_ = std::chrono::steady_clock::now() + timeout;
    if (!deadline_.is_open()) {
        deadline_.open([this](uv_timer_t* t) { return uv_timer_init(loop_, t); });
        deadline_.get()->data = this;
    }
    uv_timer_start(
        deadline_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<UpstreamDialer*>(t->data);
            if (!self) return;
            self->connector_.cancel();
            self->pending_.reset();
            auto seconds = std::chrono::duration_cast<std::chrono::duration<double>>(
                               self->deadline_at_ - self->started_)
                               .count();
            char text[32];
            std::snprintf(text, sizeof text, "%g", seconds);
            self->finish(nullptr,
                         DialError{DialFailure::timeout,
                                   "connection to " + self->target_.host + ":" +
                                       std::to_string(self->target_.port) + " timed out after " +
                                       text + " s (connect_timeout)"});
        },
        static_cast<uint64_t>(timeout.count()), 0);
}

void UpstreamDialer::dial(const DialTarget& target, std::chrono::milliseconds timeout, Done done) {
    target_ = target;
    done_ = std::move(done);
    timings_ = {};
    started_ = std::chrono::steady_clock::now();
    arm_deadline(timeout);
    connector_.connect(
        target.host, target.port, timeout + std::chrono::milliseconds(1000),
        [this](Result<std::unique_ptr<TcpStream>> result) {
            timings_.tcp = since(started_);
            if (!result) {
                finish(nullptr, DialError{DialFailure::connect, result.error().message});
                return;
            }
            auto stream = std::move(result.value());
            (void)stream->set_nodelay(true);
            (void)stream->set_keepalive(true, 60);
            if (!target_.implicit_tls) {
                finish(std::move(stream), std::nullopt);
                return;
            }
            handshake(std::move(stream));
        });
}

void UpstreamDialer::start_tls(std::unique_ptr<ByteStream> plain, const DialTarget& target,
                               std::chrono::milliseconds timeout, Done done) {
    target_ = target;
    done_ = std::move(done);
    if (!deadline_.is_open() || deadline_at_ <= std::chrono::steady_clock::now()) {
        started_ = std::chrono::steady_clock::now();
        arm_deadline(timeout);
    } else {
        // Keep the dial's deadline: connect_timeout bounds the whole chain.
        uv_timer_again(deadline_.get());
    }
    handshake(std::move(plain));
}

void UpstreamDialer::handshake(std::unique_ptr<ByteStream> plain) {
    auto tls_started = std::chrono::steady_clock::now();
    auto channel = TlsChannel::client(*target_.tls, target_.host);
    if (!channel) {
        finish(nullptr, DialError{DialFailure::tls, channel.error().message});
        return;
    }
    auto stream = std::make_unique<TlsStream>(std::move(plain), std::move(channel.value()));
    auto* tls = stream.get();
    tls->set_handshake_handler([this, tls, tls_started] {
        timings_.tls = since(tls_started);
        timings_.tls_info = tls->channel().info();
        auto ready = std::move(pending_);
        ready->stop_reading();
        ready->set_handlers({});
        finish(std::move(ready), std::nullopt);
    });
    tls->set_handlers(
        {.on_data = {}, .on_drained = {}, .on_closed = [this](const CloseReason& reason) {
             // Runs from the loop; the stream dies with pending_ below.
             auto error = DialError{DialFailure::tls, reason.message};
             if (reason.cause == CloseCause::peer)
                 error.message = "upstream " + target_.host + ":" + std::to_string(target_.port) +
                                 " closed the connection during the TLS "
                                 "handshake (is it a TLS port?)";
             pending_.reset();
             finish(nullptr, std::move(error));
         }});
    pending_ = std::move(stream);
    pending_->start_reading();
}

void UpstreamDialer::finish(std::unique_ptr<ByteStream> stream, std::optional<DialError> error) {
    if (deadline_.is_open()) uv_timer_stop(deadline_.get());
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(stream), std::move(error));
}

}  // namespace mb::net
