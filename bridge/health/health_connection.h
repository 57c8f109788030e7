// HealthConnection: one accepted connection of the health endpoint. It reads one request head
// (bounded in size by the parser and in time by a timer), writes one answer, shuts its side down
// and waits briefly for the client to close (so an early answer such as 413 is not lost to a
// reset), then closes. It owns its TCP and timer handles and deletes itself after both close
// callbacks have run; the owner keeps only a pointer and learns of the end through on_finished.
#pragma once

#include <uv.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "bridge/net/uv_handle.h"
#include "bridge/net/uv_timer.h"
#include "protocol/http/http_request_parser.h"

namespace mb::health {

class HealthConnection {
  public:
    // Builds the bytes to send for a complete head (Done) or a refused one (ParseError).
    using Answer = std::function<std::string(const protocol::http::ParseResult&)>;
    using Finished = std::function<void(HealthConnection*)>;

    // Accepts the pending connection on `listener`; nullptr when libuv refuses (nothing leaks).
    // `timeout` bounds the arrival of the request head, and then again the sending of the answer
    // together with the wait for the client to close.
    static HealthConnection* accept(uv_loop_t* loop, uv_stream_t* listener,
                                    std::chrono::milliseconds timeout, Answer answer,
                                    Finished on_finished);

    // Starts reading the request.
    void start();
    // Closes both handles at once (idempotent); the object deletes itself afterwards.
    void close();
    // Forgets the owner: no answer and no on_finished call will reach it any more. Used by a
    // stopping server together with close().
    void detach();

  private:
    enum class Phase { reading, answering, lingering, closing };
    // Discarded bytes after the answer before the connection is closed anyway.
    static constexpr std::size_t kMaxLingerBytes = 64 * 1024;

    HealthConnection(uv_loop_t* loop, std::chrono::milliseconds timeout, Answer answer,
                     Finished on_finished);
    ~HealthConnection() = default;

    bool arm_timer();
    void on_timeout();
    void on_bytes(std::string_view bytes);
    void send(std::string bytes);
    void handle_closed();

    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    static void on_written(uv_write_t* request, int status);
    static void on_shut_down(uv_shutdown_t* request, int status);

    net::UvHandle<uv_tcp_t> tcp_;
    net::UvTimer timer_;
    std::chrono::milliseconds timeout_;
    Answer answer_;
    Finished on_finished_;
    Phase phase_ = Phase::reading;
    int open_handles_ = 0;
    protocol::http::RequestParser parser_;
    std::array<char, 4096> read_buffer_{};
    std::string output_;
    std::size_t lingered_bytes_ = 0;
    uv_write_t write_request_{};
    uv_shutdown_t shutdown_request_{};
};

}  // namespace mb::health
