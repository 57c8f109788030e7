// TlsChannel: one TLS connection over memory BIOs, sans-I/O and free of libuv: the caller feeds
// received ciphertext in, pulls plaintext out, writes plaintext, and takes the ciphertext to send
// after EVERY call (any call may produce some: handshake, alerts, close_notify). Owned by the
// TlsStream (or test) that drives it; it owns its SSL and both BIOs.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bridge/net/tls_context.h"
#include "protocol/result.h"

namespace mb::net {

// What was negotiated, for logs and `mailbridge test`.
struct TlsSessionInfo {
    std::string protocol;      // "TLSv1.3"
    std::string cipher;        // "TLS_AES_256_GCM_SHA384"
    std::string peer_subject;  // "CN = imap.example.com"; empty without a peer certificate
    std::optional<int> peer_days_until_expiry;  // negative once expired
};

// Received ciphertext not yet taken by the TLS engine, read through a BIO of our own: a memory
// BIO would zero every byte before copying it in.
struct TlsCiphertextInput {
    std::string bytes;
    std::size_t taken = 0;  // bytes[0, taken) were read already
    std::size_t pending() const { return bytes.size() - taken; }
};

class TlsChannel {
  public:
    // Client: SNI (skipped for IP literals) and hostname/IP verification against host when the
    // context verifies. The ClientHello is ready in take_ciphertext() on return.
    static Result<std::unique_ptr<TlsChannel>> client(const TlsClientContext& context,
                                                      const std::string& host);
    static Result<std::unique_ptr<TlsChannel>> server(const TlsServerContext& context);
    TlsChannel(const TlsChannel&) = delete;
    TlsChannel& operator=(const TlsChannel&) = delete;
    ~TlsChannel();

    // Stores received ciphertext and advances the handshake. Errors are final; their text says
    // why ("certificate verify failed: unable to get local issuer certificate",
    // "hostname mismatch: certificate is not valid for X").
    Result<void> feed_ciphertext(std::string_view bytes);
    // Decrypts into out (as many records as fit); 0 = nothing more until more ciphertext
    // arrives (or peer_closed()). A failure after some plaintext is reported by the next call.
    Result<std::size_t> read_plaintext(std::span<char> out);
    // Encrypts bytes, or keeps them until the handshake is done (counted in pending_plaintext()).
    Result<void> write_plaintext(std::string_view bytes);
    // Queues close_notify (once, after the handshake); later writes are refused.
    Result<void> shutdown();

    // Ciphertext produced so far; drains the write BIO.
    std::string take_ciphertext();
    // The same without a string per call: the bytes are in one buffer that every channel of the
    // thread reuses, valid until the next take_ciphertext_view() on this thread (so hand them to
    // a write that copies what it cannot send at once).
    std::string_view take_ciphertext_view();
    std::size_t pending_ciphertext() const;
    std::size_t pending_plaintext() const { return held_plaintext_.size(); }
    // Received bytes not yet returned by read_plaintext (ciphertext or decrypted records).
    bool has_buffered_input() const;
    // Frees the record buffers, and the memory BIOs' buffers if traffic grew them, when they are
    // empty. Call it once traffic has paused (TlsStream: after a quiet interval), not after every
    // chunk, so a bulk transfer reuses its buffers and an idle connection keeps none.
    void release_idle_buffers();

    bool handshake_done() const { return handshake_done_; }
    bool peer_closed() const { return peer_closed_; }
    bool failed() const { return failure_.has_value(); }
    // True when the failure was a certificate chain or name check.
    bool verify_failed() const { return verify_failed_; }
    TlsSessionInfo info() const;

  private:
    TlsChannel(SSL* ssl, std::string host);
    static Result<std::unique_ptr<TlsChannel>> make(SSL_CTX* ctx, std::string host);

    Result<void> advance_handshake();
    Result<void> write_through(std::string_view bytes);
    // Turns a failed SSL_* return into a final error (or nullopt for WANT_READ/WANT_WRITE).
    std::optional<Error> classify(int rc);
    Error fail(Error error);
    std::size_t drain_write_bio(std::string& into);

    SSL* ssl_;
    BIO* write_bio_;    // owned by ssl_
    std::string host_;  // verified name (client), for messages
    std::string held_plaintext_;
    TlsCiphertextInput input_;  // what the read BIO (owned by ssl_) hands to SSL
    std::size_t taken_since_fresh_bio_ = 0;
    bool handshake_done_ = false;
    bool peer_closed_ = false;
    bool shutdown_sent_ = false;
    bool verify_failed_ = false;
    std::optional<Error> failure_;
};

}  // namespace mb::net
