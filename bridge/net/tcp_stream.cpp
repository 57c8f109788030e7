// TcpStream: see tcp_stream.h. Close path: begin_close → uv_shutdown (libuv runs it after the
// queued writes) → uv_close → on_closed; abort goes straight to uv_close, cancelling writes.
#include "bridge/net/tcp_stream.h"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "bridge/net/socket_address.h"

namespace mb::net {

namespace {

// Reads take kDefaultReadSize bytes at most, or up to kReadBufferSize when the owner asks (a
// relay: a bulk transfer then takes few read calls; libuv reads until the socket is empty).
constexpr std::size_t kReadBufferSize = 256 * 1024;
constexpr std::size_t kDefaultReadSize = 64 * 1024;
// uv_try_write takes at most this many buffers at once (IOV_MAX is 1024 on Linux).
constexpr std::size_t kMaxWriteBuffers = 64;

// Data is consumed synchronously in the read callback, so one buffer serves every stream of
// the loop thread; a connection keeps no read buffer of its own while idle.
char* shared_read_buffer() {
    thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
    return buffer.get();
}

TcpStream* owner_of(uv_handle_t* handle) {
    return static_cast<TcpStream*>(handle->data);
}

}  // namespace

struct TcpStream::WriteRequest {
    uv_write_t request{};
    std::string bytes;
};

TcpStream::TcpStream(UvHandle<uv_tcp_t> handle)
    : handle_(std::move(handle)), read_size_(kDefaultReadSize) {
    handle_.get()->data = this;
    sockaddr_storage peer{};
    int length = sizeof peer;
    if (uv_tcp_getpeername(handle_.get(), reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
        peer_ = format_sockaddr(reinterpret_cast<sockaddr*>(&peer));
    } else {
        peer_ = "unconnected socket";
    }
    loop_ = handle_.get()->loop;
}

TcpStream::~TcpStream() = default;

uv_loop_t* TcpStream::loop() const {
    return loop_;
}

std::string TcpStream::local_address() const {
    if (!handle_.is_open()) return "closed socket";
    sockaddr_storage local{};
    int length = sizeof local;
    if (uv_tcp_getsockname(handle_.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
        return "unknown address";
    }
    return format_sockaddr(reinterpret_cast<sockaddr*>(&local));
}

void TcpStream::start_reading() {
    if (state_ != State::open || reading_) return;
    int rc = uv_read_start(stream(), &TcpStream::on_alloc, &TcpStream::on_read);
    if (rc < 0) {
        fail("reading from", rc);
        return;
    }
    reading_ = true;
}

void TcpStream::stop_reading() {
    if (!reading_) return;
    uv_read_stop(stream());
    reading_ = false;
}

void TcpStream::set_read_size(std::size_t bytes) {
    read_size_ = bytes == 0 ? kDefaultReadSize : std::min(bytes, kReadBufferSize);
}

void TcpStream::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
    TcpStream* self = owner_of(handle);
    const std::size_t size = self != nullptr ? self->read_size_ : kDefaultReadSize;
    *buf = uv_buf_init(shared_read_buffer(), static_cast<unsigned>(size));
}

void TcpStream::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    TcpStream* self = owner_of(reinterpret_cast<uv_handle_t*>(stream));
    if (self == nullptr || nread == 0) return;
    if (nread > 0) {
        self->emit_data(std::string_view(buf->base, static_cast<std::size_t>(nread)));
    } else if (nread == UV_EOF) {
        self->stop_reading();
        self->begin_close({CloseCause::peer, "connection closed by " + self->peer_});
    } else {
        self->fail("reading from", static_cast<int>(nread));
    }
}

void TcpStream::write(std::string_view bytes) {
    if (state_ != State::open || shutdown_requested_ || bytes.empty()) return;
    ssize_t written = write_now(bytes);
    if (written < 0 || static_cast<std::size_t>(written) == bytes.size()) return;
    enqueue(std::string(bytes.substr(static_cast<std::size_t>(written))));
}

void TcpStream::write(std::string&& bytes) {
    if (state_ != State::open || shutdown_requested_ || bytes.empty()) return;
    ssize_t written = write_now(bytes);
    if (written < 0 || static_cast<std::size_t>(written) == bytes.size()) return;
    if (written > 0) bytes.erase(0, static_cast<std::size_t>(written));
    enqueue(std::move(bytes));
}

void TcpStream::write_vectored(std::span<const std::string_view> pieces) {
    if (pieces.size() == 1) {
        write(pieces.front());
        return;
    }
    if (state_ != State::open || shutdown_requested_ || pieces.empty()) return;
    ssize_t written = write_now(pieces);
    if (written < 0) return;
    std::size_t skip = static_cast<std::size_t>(written);
    std::string rest;
    for (std::string_view piece : pieces) {
        if (skip >= piece.size()) {
            skip -= piece.size();
            continue;
        }
        rest.append(piece.substr(skip));
        skip = 0;
    }
    if (!rest.empty()) enqueue(std::move(rest));
}

ssize_t TcpStream::write_now(std::span<const std::string_view> pieces) {
    if (queued_ > 0) return 0;  // keep order: libuv's queue goes first
    std::array<uv_buf_t, kMaxWriteBuffers> bufs;
    const std::size_t count = std::min(pieces.size(), bufs.size());
    for (std::size_t i = 0; i < count; ++i)
        bufs[i] = uv_buf_init(const_cast<char*>(pieces[i].data()), pieces[i].size());
    int rc = uv_try_write(stream(), bufs.data(), static_cast<unsigned>(count));
    if (rc == UV_EAGAIN) return 0;
    if (rc < 0) {
        fail("writing to", rc);
        return -1;
    }
    return rc;
}

ssize_t TcpStream::write_now(std::string_view bytes) {
    if (queued_ > 0) return 0;  // keep order: libuv's queue goes first
    uv_buf_t buf = uv_buf_init(const_cast<char*>(bytes.data()), bytes.size());
    int rc = uv_try_write(stream(), &buf, 1);
    if (rc == UV_EAGAIN) return 0;
    if (rc < 0) {
        fail("writing to", rc);
        return -1;
    }
    return rc;
}

void TcpStream::enqueue(std::string bytes) {
    auto* request = new WriteRequest{{}, std::move(bytes)};
    uv_buf_t buf = uv_buf_init(request->bytes.data(), request->bytes.size());
    int rc = uv_write(&request->request, stream(), &buf, 1, &TcpStream::on_write);
    if (rc < 0) {
        delete request;
        fail("writing to", rc);
        return;
    }
    queued_ += buf.len;
    if (queued_ > low_water_) drain_armed_ = true;
}

void TcpStream::on_write(uv_write_t* request, int status) {
    std::unique_ptr<WriteRequest> owned(reinterpret_cast<WriteRequest*>(request));
    TcpStream* self = owner_of(reinterpret_cast<uv_handle_t*>(request->handle));
    if (self == nullptr) return;
    self->queued_ -= owned->bytes.size();
    if (status < 0) {
        if (status != UV_ECANCELED) self->fail("writing to", status);
        return;
    }
    if (self->state_ == State::open && self->drain_armed_ && self->queued_ <= self->low_water_) {
        self->drain_armed_ = false;
        self->emit_drained();
    }
}

void TcpStream::shutdown() {
    if (state_ != State::open || shutdown_requested_) return;
    request_shutdown();
}

void TcpStream::request_shutdown() {
    shutdown_requested_ = true;
    auto* request = new uv_shutdown_t{};
    int rc = uv_shutdown(request, stream(), &TcpStream::on_shutdown);
    if (rc < 0) {
        delete request;
        if (state_ == State::closing) {
            close_handle();
        } else {
            fail("shutting down", rc);
        }
        return;
    }
    shutdown_pending_ = true;
}

void TcpStream::on_shutdown(uv_shutdown_t* request, int status) {
    TcpStream* self = owner_of(reinterpret_cast<uv_handle_t*>(request->handle));
    delete request;
    if (self == nullptr) return;
    self->shutdown_pending_ = false;
    if (self->state_ == State::closing) {
        self->close_handle();
    } else if (status < 0 && status != UV_ECANCELED) {
        self->fail("shutting down", status);
    }
}

void TcpStream::close() {
    begin_close({CloseCause::local, "closed locally"});
}

void TcpStream::begin_close(CloseReason reason) {
    if (state_ != State::open) return;
    state_ = State::closing;
    reason_ = std::move(reason);
    stop_reading();
    if (shutdown_pending_) return;  // on_shutdown closes the handle
    if (shutdown_requested_) {
        close_handle();
    } else {
        request_shutdown();
    }
}

void TcpStream::abort(CloseReason reason) {
    if (state_ == State::closed) return;
    if (state_ == State::open) reason_ = std::move(reason);
    state_ = State::closing;
    stop_reading();
    close_handle();
}

void TcpStream::fail(const char* step, int status) {
    abort({CloseCause::error, std::string(step) + " " + peer_ + " failed: " + uv_strerror(status)});
}

void TcpStream::close_handle() {
    reading_ = false;
    handle_.close([this] {
        state_ = State::closed;
        emit_closed(std::move(reason_));
    });
}

Result<void> TcpStream::set_nodelay(bool enable) {
    if (!handle_.is_open()) return make_error("cannot set TCP_NODELAY: the socket is closed");
    int rc = uv_tcp_nodelay(handle_.get(), enable ? 1 : 0);
    if (rc < 0)
        return make_error(std::string("cannot set TCP_NODELAY on ") + peer_ + ": " +
                          uv_strerror(rc));
    return {};
}

Result<void> TcpStream::set_keepalive(bool enable, unsigned idle_seconds) {
    if (!handle_.is_open()) return make_error("cannot set TCP keepalive: the socket is closed");
    int rc = uv_tcp_keepalive(handle_.get(), enable ? 1 : 0, idle_seconds);
    if (rc < 0)
        return make_error(std::string("cannot set TCP keepalive on ") + peer_ + ": " +
                          uv_strerror(rc));
    return {};
}

}  // namespace mb::net
