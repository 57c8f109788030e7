// ByteStream: the one interface sessions use for a connection, whether it is plain TCP
// (TcpStream) or TLS over another ByteStream (TlsStream, also for STARTTLS upgrades).
// Ownership: exactly one owner (a session) holds it by std::unique_ptr and installs its handlers.
#pragma once

#include <uv.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace mb::net {

enum class CloseCause {
    local,  // the owner called close() or abort()
    peer,   // the peer ended the connection (EOF, TLS close_notify)
    error,  // a read, write or TLS failure; message says which
};

struct CloseReason {
    CloseCause cause = CloseCause::local;
    std::string message;
};

// Lifecycle: open → closing (close/abort/EOF/error) → closed (on_closed, exactly once, always
// from a later loop callback, never from inside a call on the stream). Handlers run on the loop
// thread; they may call any method (including set_handlers) but must not destroy the stream,
// except from on_closed. Writes after closing began are dropped.
class ByteStream {
  public:
    struct Handlers {
        std::function<void(std::string_view)> on_data;  // view valid only during the call
        std::function<void()> on_drained;               // queued_bytes() fell to the low-water mark
        std::function<void(const CloseReason&)> on_closed;
    };

    ByteStream() = default;
    ByteStream(const ByteStream&) = delete;
    ByteStream& operator=(const ByteStream&) = delete;
    // Destroying an open stream closes it at once, without calling on_closed.
    virtual ~ByteStream() = default;

    void set_handlers(Handlers handlers) { handlers_ = std::move(handlers); }

    // Streams start not reading. stop_reading() takes effect at once: no on_data until
    // start_reading(); data already received is delivered from a later loop callback.
    virtual void start_reading() = 0;
    virtual void stop_reading() = 0;
    // Reads take up to this many bytes at a time (0 = the stream's default, 64 KB for TCP). A
    // relay asks for more than a session reading commands, whose limits count chunks.
    virtual void set_read_size(std::size_t bytes) { (void)bytes; }

    // Queues bytes; never blocks. The string_view form copies what cannot be written at once,
    // the rvalue form takes ownership of the buffer.
    virtual void write(std::string_view bytes) = 0;
    virtual void write(std::string&& bytes) = 0;
    void write(const char* text) { write(std::string_view(text)); }
    // Queues several buffers in order, as one write where the stream can (writev); copies what
    // cannot be written at once. The default writes them one by one.
    virtual void write_vectored(std::span<const std::string_view> pieces) {
        for (std::string_view piece : pieces) write(piece);
    }

    // Bytes accepted by write() but not yet handed to the kernel.
    virtual std::size_t queued_bytes() const = 0;
    // on_drained fires once each time queued_bytes() goes from above this mark to at or below it.
    virtual void set_low_water_mark(std::size_t bytes) = 0;

    // Graceful: stop reading, let queued writes finish (TLS: send close_notify), then close.
    virtual void close() = 0;
    // Immediate: queued writes are cancelled; reason is reported through on_closed.
    virtual void abort(CloseReason reason) = 0;
    virtual bool is_closing() const = 0;

    virtual std::string peer_address() const = 0;
    virtual uv_loop_t* loop() const = 0;

  protected:
    // Handlers are copied before the call so that set_handlers() inside a handler is safe.
    void emit_data(std::string_view bytes) {
        auto on_data = handlers_.on_data;
        if (on_data) on_data(bytes);
    }
    void emit_drained() {
        auto on_drained = handlers_.on_drained;
        if (on_drained) on_drained();
    }
    // Last use of the stream: the handler may destroy it.
    void emit_closed(CloseReason reason) {
        auto on_closed = std::move(handlers_.on_closed);
        handlers_ = {};
        if (on_closed) on_closed(reason);
    }

    Handlers handlers_;
};

}  // namespace mb::net
