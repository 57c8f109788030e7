// Forwarding, backpressure, idle timeout and close handling of Relay.
#include "bridge/session/relay.h"

#include <spdlog/spdlog.h>

#include "bridge/health/metrics.h"

namespace mb::session {

Relay::Relay(std::unique_ptr<net::ByteStream> client, std::unique_ptr<net::ByteStream> upstream,
             RelayOptions options, Handlers handlers)
    : client_(std::move(client)),
      upstream_(std::move(upstream)),
      options_(options),
      handlers_(std::move(handlers)),
      idle_timer_(client_->loop()) {
    to_upstream_ = {client_.get(), upstream_.get(), Side::client, {}, 0, false};
    to_client_ = {upstream_.get(), client_.get(), Side::upstream, {}, 0, false};
}

Relay::~Relay() {
    if (client_) client_->set_handlers({});
    if (upstream_) upstream_->set_handlers({});
}

void Relay::set_filter(Side from, Filter filter) {
    (from == Side::client ? to_upstream_ : to_client_).filter = std::move(filter);
}

void Relay::start(std::string_view upstream_leftover) {
    client_->set_low_water_mark(options_.low_water);
    upstream_->set_low_water_mark(options_.low_water);
    client_->set_read_size(options_.read_size);
    upstream_->set_read_size(options_.read_size);
    client_->set_handlers({
        .on_data = [this](std::string_view bytes) { forward(to_upstream_, bytes); },
        .on_drained = [this] { on_sink_drained(to_client_); },
        .on_closed = [this](const net::CloseReason& reason) { on_closed(Side::client, reason); },
    });
    upstream_->set_handlers({
        .on_data = [this](std::string_view bytes) { forward(to_client_, bytes); },
        .on_drained = [this] { on_sink_drained(to_upstream_); },
        .on_closed = [this](const net::CloseReason& reason) { on_closed(Side::upstream, reason); },
    });
    arm_idle_timer();
    if (!upstream_leftover.empty()) forward(to_client_, upstream_leftover);
    client_->start_reading();
    if (!to_client_.paused) upstream_->start_reading();
}

void Relay::forward(Direction& direction, std::string_view bytes) {
    last_activity_ = uv_now(client_->loop());
    if (handlers_.on_bytes) handlers_.on_bytes(direction.from, bytes.size());
    if (direction.filter) {
        output_.reset(bytes);
        direction.filter(bytes, output_);
        direction.held = output_.held();
        if (!output_.empty()) direction.sink->write_vectored(output_.pieces());
    } else {
        direction.sink->write(bytes);
    }
    // Pause only while the sink will report draining (its queue is above the low-water mark):
    // bytes the filter holds are released by more input, not by the sink.
    const std::size_t queued = direction.sink->queued_bytes();
    if (!direction.paused && queued > options_.low_water &&
        queued + direction.held > options_.high_water) {
        direction.paused = true;
        direction.source->stop_reading();
    }
}

void Relay::on_sink_drained(Direction& direction) {
    if (!direction.paused) return;
    direction.paused = false;
    bool source_closed = direction.from == Side::client ? client_closed_ : upstream_closed_;
    if (!source_closed) direction.source->start_reading();
}

void Relay::on_closed(Side side, const net::CloseReason& reason) {
    if (side == Side::client) {
        client_closed_ = true;
        if (!upstream_closed_) {
            if (handlers_.on_client_closed)
                if (std::string words = handlers_.on_client_closed(); !words.empty())
                    upstream_->write(std::move(words));
            upstream_->close();
        }
    } else {
        upstream_closed_ = true;
        if (!client_closed_) {
            std::string goodbye;
            if (handlers_.on_upstream_closed) goodbye = handlers_.on_upstream_closed(reason);
            if (!goodbye.empty()) client_->write(std::move(goodbye));
            client_->close();
        }
    }
    maybe_finish();
}

void Relay::shut_down(std::string client_goodbye) {
    if (!client_closed_) {
        if (!client_goodbye.empty()) client_->write(std::move(client_goodbye));
        client_->close();
    }
    if (!upstream_closed_) upstream_->close();
}

void Relay::arm_idle_timer() {
    if (options_.idle_timeout.count() <= 0) return;
    last_activity_ = uv_now(client_->loop());
    schedule_idle_check(options_.idle_timeout);
}

void Relay::schedule_idle_check(std::chrono::milliseconds delay) {
    if (auto armed = idle_timer_.start(delay, [this] { on_idle_timer(); }); !armed)
        spdlog::warn("relay: no idle timeout for this session: {}", armed.error().message);
}

void Relay::on_idle_timer() {
    const std::chrono::milliseconds timeout = options_.idle_timeout;
    const std::chrono::milliseconds silent(uv_now(client_->loop()) - last_activity_);
    if (silent < timeout) {
        schedule_idle_check(timeout - silent);
        return;
    }
    shut_down(handlers_.on_idle ? handlers_.on_idle() : std::string());
}

void Relay::maybe_finish() {
    if (finished_ || !client_closed_ || !upstream_closed_) return;
    finished_ = true;
    idle_timer_.close();
    if (handlers_.on_finished) handlers_.on_finished();
}

std::function<void(Relay::Side from, std::size_t bytes)> relay_byte_counters(
    health::Metrics* metrics, std::string_view server) {
    if (metrics == nullptr) return {};
    return [to_upstream = metrics->byte_counter(server, health::Direction::client_to_upstream),
            to_client = metrics->byte_counter(server, health::Direction::upstream_to_client)](
               Relay::Side from, std::size_t bytes) mutable {
        (from == Relay::Side::client ? to_upstream : to_client).add(bytes);
    };
}

}  // namespace mb::session
