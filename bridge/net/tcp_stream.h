// TcpStream: a connected TCP socket (accepted by TcpListener or made by TcpConnector) as a
// ByteStream. It owns its uv_tcp_t through UvHandle (freed in the close callback) and its write
// requests (freed in their callbacks); reads use one shared per-thread buffer (64 KB per read
// unless set_read_size asks for up to 256 KB).
#pragma once

#include <cstddef>
#include <string>

#include "bridge/net/byte_stream.h"
#include "bridge/net/uv_handle.h"
#include "protocol/result.h"

namespace mb::net {

class TcpStream final : public ByteStream {
  public:
    // Takes an initialised, connected handle.
    explicit TcpStream(UvHandle<uv_tcp_t> handle);
    ~TcpStream() override;

    void start_reading() override;
    void stop_reading() override;
    void set_read_size(std::size_t bytes) override;
    void write(std::string_view bytes) override;
    void write(std::string&& bytes) override;
    void write_vectored(std::span<const std::string_view> pieces) override;
    using ByteStream::write;
    std::size_t queued_bytes() const override { return queued_; }
    void set_low_water_mark(std::size_t bytes) override { low_water_ = bytes; }
    void close() override;
    void abort(CloseReason reason) override;
    bool is_closing() const override { return state_ != State::open; }
    std::string peer_address() const override { return peer_; }
    uv_loop_t* loop() const override;

    // Half-close: sends FIN once queued writes are done; reading goes on. Later writes are dropped.
    void shutdown();
    Result<void> set_nodelay(bool enable);
    Result<void> set_keepalive(bool enable, unsigned idle_seconds);
    std::string local_address() const;

  private:
    enum class State { open, closing, closed };
    struct WriteRequest;

    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    static void on_write(uv_write_t* request, int status);
    static void on_shutdown(uv_shutdown_t* request, int status);

    uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(handle_.get()); }
    // Writes what the kernel takes now; returns the count, or -1 after starting an abort.
    ssize_t write_now(std::string_view bytes);
    ssize_t write_now(std::span<const std::string_view> pieces);
    void enqueue(std::string bytes);
    void request_shutdown();
    void begin_close(CloseReason reason);
    void close_handle();
    void fail(const char* step, int status);

    UvHandle<uv_tcp_t> handle_;
    State state_ = State::open;
    bool reading_ = false;
    bool shutdown_requested_ = false;
    bool shutdown_pending_ = false;
    std::size_t queued_ = 0;
    std::size_t low_water_ = 0;
    std::size_t read_size_;
    bool drain_armed_ = false;
    CloseReason reason_;
    std::string peer_;
    uv_loop_t* loop_ = nullptr;
};

}  // namespace mb::net
