// TlsStream: a ByteStream that runs a TlsChannel over another ByteStream (a TcpStream, or a
// plain stream upgraded mid-connection for STARTTLS). It owns the transport, the channel and one
// timer that defers plaintext delivery after start_reading() and frees the channel's traffic
// buffers once the connection has been quiet for a moment (TlsChannel::release_idle_buffers);
// its owner owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "bridge/net/byte_stream.h"
#include "bridge/net/tls_channel.h"
#include "bridge/net/uv_timer.h"

namespace mb::net {

class TlsStream final : public ByteStream {
  public:
    // Takes over transport (its handlers are replaced; it should carry no unread plaintext the
    // caller still wants) and starts the handshake. A failed handshake closes the stream with
    // CloseCause::error and "TLS handshake with PEER failed: REASON".
    TlsStream(std::unique_ptr<ByteStream> transport, std::unique_ptr<TlsChannel> channel);
    ~TlsStream() override;

    // Called once when the handshake completes (before any on_data).
    void set_handshake_handler(std::function<void()> on_handshake) {
        on_handshake_ = std::move(on_handshake);
    }
    const TlsChannel& channel() const { return *channel_; }

    void start_reading() override;
    void stop_reading() override;
    void set_read_size(std::size_t bytes) override { transport_->set_read_size(bytes); }
    void write(std::string_view bytes) override;
    void write(std::string&& bytes) override { write(std::string_view(bytes)); }
    void write_vectored(std::span<const std::string_view> pieces) override;
    using ByteStream::write;
    // Plaintext held until the handshake ends plus ciphertext queued on the transport.
    std::size_t queued_bytes() const override;
    void set_low_water_mark(std::size_t bytes) override;
    void close() override;
    void abort(CloseReason reason) override;
    bool is_closing() const override { return state_ != State::open; }
    std::string peer_address() const override { return transport_->peer_address(); }
    uv_loop_t* loop() const override { return transport_->loop(); }

  private:
    enum class State { open, closing, closed };

    void on_transport_data(std::string_view bytes);
    void on_transport_drained();
    void on_transport_closed(const CloseReason& reason);
    void deliver_plaintext();
    void schedule_delivery();
    void schedule_release();
    void arm_timer(std::uint64_t ms);
    void on_timer();
    // Encrypts bytes; the ciphertext goes out whenever a burst's worth is pending.
    bool encrypt(std::string_view bytes);
    void flush_ciphertext();
    void update_transport_reading();
    void fail(const Error& error);
    void arm_drain();

    std::unique_ptr<ByteStream> transport_;
    std::unique_ptr<TlsChannel> channel_;
    UvTimer delivery_timer_;
    std::function<void()> on_handshake_;
    State state_ = State::open;
    bool reading_wanted_ = false;
    bool handshake_reported_ = false;
    bool drain_armed_ = false;
    bool delivery_due_ = false;  // the timer delivers plaintext buffered while not reading
    bool release_due_ = false;   // the timer frees the channel's buffers once traffic pauses
    bool traffic_since_armed_ = false;
    bool timer_armed_ = false;
    std::size_t low_water_ = 0;
    CloseReason reason_;
    bool reason_set_ = false;
};

}  // namespace mb::net
