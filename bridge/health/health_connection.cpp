// HealthConnection: read one request head, answer, shut down, linger, close. See the header.
#include "bridge/health/health_connection.h"

#include <spdlog/spdlog.h>

namespace mb::health {

HealthConnection::HealthConnection(uv_loop_t* loop, std::chrono::milliseconds timeout,
                                   Answer answer, Finished on_finished)
    : timer_(loop),
      timeout_(timeout),
      answer_(std::move(answer)),
      on_finished_(std::move(on_finished)) {}

HealthConnection* HealthConnection::accept(uv_loop_t* loop, uv_stream_t* listener,
                                           std::chrono::milliseconds timeout, Answer answer,
                                           Finished on_finished) {
    auto* connection =
        new HealthConnection(loop, timeout, std::move(answer), std::move(on_finished));
    int rc = connection->tcp_.open([&](uv_tcp_t* tcp) { return uv_tcp_init(loop, tcp); });
    if (rc == 0) {
        connection->open_handles_ = 2;  // the socket, and the timer: close() reports both
        connection->tcp_.get()->data = connection;
        rc = uv_accept(listener, reinterpret_cast<uv_stream_t*>(connection->tcp_.get()));
    }
    if (rc == 0) return connection;
    spdlog::warn("health endpoint: cannot accept a connection: {}", uv_strerror(rc));
    connection->detach();
    if (connection->open_handles_ == 0) {
        delete connection;
    } else {
        connection->close();
    }
    return nullptr;
}

void HealthConnection::start() {
    if (!arm_timer()) return;
    int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(tcp_.get()), &on_alloc, &on_read);
    if (rc < 0) close();
}

void HealthConnection::detach() {
    answer_ = nullptr;
    on_finished_ = nullptr;
}

void HealthConnection::close() {
    if (phase_ == Phase::closing) return;
    phase_ = Phase::closing;
    tcp_.close([this] { handle_closed(); });
    timer_.close([this] { handle_closed(); });
}

void HealthConnection::handle_closed() {
    if (--open_handles_ > 0) return;
    if (on_finished_) on_finished_(this);
    delete this;
}

// False when libuv refused the timer (it never does): the connection is closing.
bool HealthConnection::arm_timer() {
    if (timer_.start(timeout_, [this] { on_timeout(); })) return true;
    close();
    return false;
}

void HealthConnection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
    auto* self = static_cast<HealthConnection*>(handle->data);
    *buf = uv_buf_init(self->read_buffer_.data(), static_cast<unsigned>(self->read_buffer_.size()));
}

void HealthConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<HealthConnection*>(stream->data);
    if (!self || self->phase_ == Phase::closing) return;
    if (nread < 0) {
        self->close();
        return;
    }
    self->on_bytes(std::string_view(buf->base, static_cast<std::size_t>(nread)));
}

void HealthConnection::on_bytes(std::string_view bytes) {
    if (phase_ == Phase::lingering) {
        lingered_bytes_ += bytes.size();
        if (lingered_bytes_ > kMaxLingerBytes) close();
        return;
    }
    protocol::http::ParseResult result = parser_.feed(bytes);
    if (std::holds_alternative<protocol::http::NeedMore>(result)) return;
    if (!answer_) {
        close();
        return;
    }
    send(answer_(result));
}

void HealthConnection::send(std::string bytes) {
    phase_ = Phase::answering;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp_.get()));
    if (!arm_timer()) return;
    output_ = std::move(bytes);
    uv_buf_t buf = uv_buf_init(output_.data(), static_cast<unsigned>(output_.size()));
    auto* stream = reinterpret_cast<uv_stream_t*>(tcp_.get());
    write_request_.data = this;
    shutdown_request_.data = this;
    if (uv_write(&write_request_, stream, &buf, 1, &on_written) < 0 ||
        uv_shutdown(&shutdown_request_, stream, &on_shut_down) < 0)
        close();
}

void HealthConnection::on_written(uv_write_t* request, int status) {
    auto* self = static_cast<HealthConnection*>(request->data);
    if (status < 0 && self->phase_ != Phase::closing) self->close();
}

void HealthConnection::on_shut_down(uv_shutdown_t* request, int status) {
    auto* self = static_cast<HealthConnection*>(request->data);
    if (self->phase_ == Phase::closing) return;
    if (status < 0) {
        self->close();
        return;
    }
    self->phase_ = Phase::lingering;
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(self->tcp_.get()), &on_alloc, &on_read) < 0)
        self->close();
}

void HealthConnection::on_timeout() {
    if (phase_ == Phase::closing) return;
    if (phase_ == Phase::reading)
        spdlog::debug(
            "health endpoint: closing a connection that sent no complete request in {} ms",
            timeout_.count());
    close();
}

}  // namespace mb::health
