// TlsStream: see tls_stream.h. Every channel call is followed by flush_ciphertext(), so bytes
// the TLS engine produces (handshake, alerts, close_notify) always reach the transport.
#include "bridge/net/tls_stream.h"

#include <chrono>
#include <memory>

namespace mb::net {

namespace {

constexpr std::size_t kPlaintextChunk = 16 * 1024;  // one TLS record
// Plaintext is delivered in pieces of up to this many bytes (several records decrypted into one
// buffer), so the reader gets few, large chunks; ciphertext goes to the transport in bursts of
// about this size.
constexpr std::size_t kDeliveryChunk = 256 * 1024;
constexpr std::size_t kCiphertextBurst = 64 * 1024;
// The channel's buffers are freed once a connection has seen no traffic for this long.
constexpr std::uint64_t kReleaseAfterMs = 200;

// Plaintext is handed out synchronously, so one buffer serves the loop thread.
std::span<char> shared_plaintext_buffer() {
    thread_local std::unique_ptr<char[]> buffer(new char[kDeliveryChunk]);
    return {buffer.get(), kDeliveryChunk};
}

}  // namespace

TlsStream::TlsStream(std::unique_ptr<ByteStream> transport, std::unique_ptr<TlsChannel> channel)
    : transport_(std::move(transport)),
      channel_(std::move(channel)),
      delivery_timer_(transport_->loop()) {
    transport_->set_handlers({
        [this](std::string_view bytes) { on_transport_data(bytes); },
        [this] { on_transport_drained(); },
        [this](const CloseReason& reason) { on_transport_closed(reason); },
    });
    transport_->set_low_water_mark(low_water_);
    flush_ciphertext();
    update_transport_reading();
}

TlsStream::~TlsStream() = default;

void TlsStream::start_reading() {
    if (state_ != State::open || reading_wanted_) return;
    reading_wanted_ = true;
    update_transport_reading();
    if (channel_->handshake_done() && channel_->has_buffered_input()) schedule_delivery();
}

void TlsStream::stop_reading() {
    reading_wanted_ = false;
    update_transport_reading();
}

void TlsStream::update_transport_reading() {
    if (state_ == State::open && (!channel_->handshake_done() || reading_wanted_)) {
        transport_->start_reading();
    } else {
        transport_->stop_reading();
    }
}

void TlsStream::schedule_delivery() {
    delivery_due_ = true;
    arm_timer(0);
}

void TlsStream::schedule_release() {
    traffic_since_armed_ = true;
    if (release_due_ || state_ != State::open) return;
    release_due_ = true;
    traffic_since_armed_ = false;
    if (!timer_armed_) arm_timer(kReleaseAfterMs);
}

void TlsStream::arm_timer(std::uint64_t ms) {
    timer_armed_ = true;
    if (auto started = delivery_timer_.start(std::chrono::milliseconds(ms), [this] { on_timer(); });
        !started)
        abort({CloseCause::error, started.error().message});
}

void TlsStream::on_timer() {
    timer_armed_ = false;
    if (delivery_due_) {
        delivery_due_ = false;
        deliver_plaintext();
    }
    if (!release_due_ || state_ != State::open) return;
    if (traffic_since_armed_) {  // still busy: look again later
        traffic_since_armed_ = false;
        arm_timer(kReleaseAfterMs);
        return;
    }
    release_due_ = false;
    channel_->release_idle_buffers();
}

void TlsStream::on_transport_data(std::string_view bytes) {
    if (state_ != State::open) return;
    auto fed = channel_->feed_ciphertext(bytes);
    flush_ciphertext();
    if (!fed) {
        fail(fed.error());
        return;
    }
    if (channel_->handshake_done() && !handshake_reported_) {
        handshake_reported_ = true;
        update_transport_reading();
        auto on_handshake = on_handshake_;
        if (on_handshake) on_handshake();
        if (state_ != State::open) return;
    }
    deliver_plaintext();
    if (state_ == State::open) schedule_release();
}

void TlsStream::deliver_plaintext() {
    std::span<char> buffer = shared_plaintext_buffer();
    while (state_ == State::open && reading_wanted_ && channel_->handshake_done()) {
        auto got = channel_->read_plaintext(buffer);  // as many records as fit
        flush_ciphertext();
        if (!got) {
            fail(got.error());
            return;
        }
        if (*got == 0) break;
        emit_data(std::string_view(buffer.data(), *got));
    }
    if (state_ == State::open && channel_->peer_closed()) {
        reason_ = {CloseCause::peer, "TLS connection closed by " + transport_->peer_address()};
        reason_set_ = true;
        close();
    }
}

void TlsStream::write(std::string_view bytes) {
    if (state_ != State::open || bytes.empty()) return;
    if (!encrypt(bytes)) return;
    flush_ciphertext();
    if (queued_bytes() > low_water_) drain_armed_ = true;
}

void TlsStream::write_vectored(std::span<const std::string_view> pieces) {
    if (state_ != State::open) return;
    for (std::string_view piece : pieces)
        if (!encrypt(piece)) return;
    flush_ciphertext();
    if (queued_bytes() > low_water_) drain_armed_ = true;
}

bool TlsStream::encrypt(std::string_view bytes) {
    while (!bytes.empty()) {
        // Record-sized calls, flushed in bursts, so the write BIO never holds much more than one.
        const std::string_view chunk = bytes.substr(0, kPlaintextChunk);
        bytes.remove_prefix(chunk.size());
        auto written = channel_->write_plaintext(chunk);
        if (!written) {
            flush_ciphertext();
            fail(written.error());
            return false;
        }
        if (channel_->pending_ciphertext() >= kCiphertextBurst) flush_ciphertext();
    }
    return true;
}

void TlsStream::flush_ciphertext() {
    if (channel_->pending_ciphertext() == 0) return;
    // The transport copies what it cannot send at once, so the channel's shared buffer will do,
    // unless this flush runs inside another one (TLS inside TLS, through an HTTPS proxy): the
    // outer flush's bytes are still in that buffer.
    thread_local bool flushing = false;
    if (flushing) {
        transport_->write(channel_->take_ciphertext());
    } else {
        flushing = true;
        transport_->write(channel_->take_ciphertext_view());
        flushing = false;
    }
    if (state_ == State::open) schedule_release();
}

std::size_t TlsStream::queued_bytes() const {
    return channel_->pending_plaintext() + channel_->pending_ciphertext() +
           transport_->queued_bytes();
}

void TlsStream::set_low_water_mark(std::size_t bytes) {
    low_water_ = bytes;
    transport_->set_low_water_mark(bytes);
}

void TlsStream::on_transport_drained() {
    if (state_ == State::open && drain_armed_ && queued_bytes() <= low_water_) {
        drain_armed_ = false;
        emit_drained();
    }
}

void TlsStream::close() {
    if (state_ != State::open) return;
    state_ = State::closing;
    if (!reason_set_) {
        reason_ = {CloseCause::local, "closed locally"};
        reason_set_ = true;
    }
    reading_wanted_ = false;
    (void)channel_->shutdown();  // a failure here only means no close_notify is sent
    flush_ciphertext();
    transport_->close();
}

void TlsStream::abort(CloseReason reason) {
    if (state_ == State::closed) return;
    if (!reason_set_) {
        reason_ = std::move(reason);
        reason_set_ = true;
    }
    state_ = State::closing;
    transport_->abort(reason_);
}

void TlsStream::fail(const Error& error) {
    if (state_ != State::open) return;
    const std::string peer = transport_->peer_address();
    reason_ = {CloseCause::error, channel_->handshake_done()
                                      ? "TLS error with " + peer + ": " + error.message
                                      : "TLS handshake with " + peer + " failed: " + error.message};
    reason_set_ = true;
    state_ = State::closing;
    flush_ciphertext();  // the alert telling the peer why
    transport_->close();
}

void TlsStream::on_transport_closed(const CloseReason& reason) {
    if (!reason_set_) {
        reason_ = reason;
        reason_set_ = true;
    }
    state_ = State::closing;
    delivery_timer_.close([this] {
        state_ = State::closed;
        emit_closed(std::move(reason_));
    });
}

}  // namespace mb::net
