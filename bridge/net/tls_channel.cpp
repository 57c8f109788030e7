// TlsChannel: see tls_channel.h. Memory: release_idle_buffers() frees the record buffers and
// replaces a memory BIO that grew past kFreshBioThreshold once empty, so an idle connection keeps
// no traffic-sized buffer while a busy one allocates nothing per record.
#include "bridge/net/tls_channel.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "bridge/net/openssl_error.h"
#include "bridge/net/socket_address.h"

namespace mb::net {

namespace {

constexpr std::size_t kFreshBioThreshold = 16 * 1024;
constexpr std::size_t kMaxSslIo = INT_MAX;

// The read BIO: SSL reads ciphertext from the channel's TlsCiphertextInput (BIO data).
int input_read(BIO* bio, char* out, int size) {
    BIO_clear_retry_flags(bio);
    auto* input = static_cast<TlsCiphertextInput*>(BIO_get_data(bio));
    if (input == nullptr || size <= 0) return 0;
    const std::size_t n = std::min(input->pending(), static_cast<std::size_t>(size));
    if (n == 0) {
        BIO_set_retry_read(bio);  // empty = "retry", not end of stream
        return -1;
    }
    std::memcpy(out, input->bytes.data() + input->taken, n);
    input->taken += n;
    if (input->taken == input->bytes.size()) {
        input->bytes.clear();
        input->taken = 0;
    }
    return static_cast<int>(n);
}

long input_ctrl(BIO* bio, int command, long, void*) {
    auto* input = static_cast<TlsCiphertextInput*>(BIO_get_data(bio));
    switch (command) {
        case BIO_CTRL_PENDING:
            return input == nullptr ? 0 : static_cast<long>(input->pending());
        case BIO_CTRL_FLUSH:
            return 1;
        default:
            return 0;
    }
}

int input_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

const BIO_METHOD* input_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m =
            BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mailbridge TLS input");
        if (m != nullptr) {
            BIO_meth_set_read(m, input_read);
            BIO_meth_set_ctrl(m, input_ctrl);
            BIO_meth_set_create(m, input_create);
        }
        return m;
    }();
    return method;
}

BIO* new_memory_bio() {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio != nullptr) BIO_set_mem_eof_return(bio, -1);  // empty = "retry", not end of stream
    return bio;
}

}  // namespace

TlsChannel::TlsChannel(SSL* ssl, std::string host)
    : ssl_(ssl), write_bio_(SSL_get_wbio(ssl)), host_(std::move(host)) {}

TlsChannel::~TlsChannel() {
    SSL_free(ssl_);
}

Result<std::unique_ptr<TlsChannel>> TlsChannel::make(SSL_CTX* ctx, std::string host) {
    ERR_clear_error();
    SSL* ssl = SSL_new(ctx);
    const BIO_METHOD* method = input_method();
    BIO* read_bio = method != nullptr ? BIO_new(method) : nullptr;
    BIO* write_bio = new_memory_bio();
    if (ssl == nullptr || read_bio == nullptr || write_bio == nullptr) {
        SSL_free(ssl);
        BIO_free(read_bio);
        BIO_free(write_bio);
        return make_error("cannot create TLS connection: " + take_openssl_errors("out of memory"));
    }
    SSL_set_bio(ssl, read_bio, write_bio);
    SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Record buffers are kept through a burst and freed by release_idle_buffers(), rather than
    // freed and allocated again for every record.
    SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    std::unique_ptr<TlsChannel> channel(new TlsChannel(ssl, std::move(host)));
    BIO_set_data(read_bio, &channel->input_);
    return channel;
}

Result<std::unique_ptr<TlsChannel>> TlsChannel::client(const TlsClientContext& context,
                                                       const std::string& host) {
    auto made = make(context.native(), host);
    if (!made) return made;
    std::unique_ptr<TlsChannel> channel = std::move(made).value();
    SSL* ssl = channel->ssl_;
    SSL_set_connect_state(ssl);
    const bool ip = is_ip_literal(host);
// OpenSSL's SSL_set_tlsext_host_name is a macro with a C-style cast; it has no function form.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
    if (!ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
#pragma GCC diagnostic pop
        return make_error("cannot use \"" + host +
                          "\" as TLS server name: " + take_openssl_errors("invalid name"));
    }
    if (context.verify()) {
        int ok = 0;
        if (ip) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
        } else {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = SSL_set1_host(ssl, host.c_str());
        }
        if (ok != 1) {
            return make_error("cannot verify against \"" + host +
                              "\": " + take_openssl_errors("not a valid host name or address"));
        }
    }
    if (auto started = channel->advance_handshake(); !started) return started.error();
    return channel;
}

Result<std::unique_ptr<TlsChannel>> TlsChannel::server(const TlsServerContext& context) {
    auto made = make(context.native(), "");
    if (!made) return made;
    SSL_set_accept_state(made.value()->ssl_);
    return made;
}

Result<void> TlsChannel::feed_ciphertext(std::string_view bytes) {
    if (failure_) return *failure_;
    if (input_.taken > 0) {  // keep the unread tail only
        input_.bytes.erase(0, input_.taken);
        input_.taken = 0;
    }
    input_.bytes.append(bytes);
    if (!handshake_done_) return advance_handshake();
    if (!held_plaintext_.empty()) {
        std::string held = std::move(held_plaintext_);
        held_plaintext_.clear();
        return write_through(held);
    }
    return {};
}

Result<void> TlsChannel::advance_handshake() {
    if (handshake_done_) return {};
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl_);
    if (rc != 1) {
        if (SSL_get_error(ssl_, rc) == SSL_ERROR_ZERO_RETURN) {
            return fail(make_error("the peer closed the TLS connection during the handshake"));
        }
        if (auto error = classify(rc)) return fail(std::move(*error));
        return {};
    }
    handshake_done_ = true;
    if (held_plaintext_.empty()) return {};
    std::string held = std::move(held_plaintext_);
    held_plaintext_.clear();
    return write_through(held);
}

Result<std::size_t> TlsChannel::read_plaintext(std::span<char> out) {
    if (failure_) return *failure_;
    if (!handshake_done_) {
        if (auto advanced = advance_handshake(); !advanced) return advanced.error();
        if (!handshake_done_) return std::size_t{0};
    }
    if (peer_closed_ || out.empty()) return std::size_t{0};
    // Record after record until `out` is full; a successful SSL_read leaves the error queue
    // empty, so it is cleared once.
    ERR_clear_error();
    std::size_t total = 0;
    while (total < out.size()) {
        int rc = SSL_read(ssl_, out.data() + total,
                          static_cast<int>(std::min(out.size() - total, kMaxSslIo)));
        if (rc > 0) {
            total += static_cast<std::size_t>(rc);
            continue;
        }
        if (SSL_get_error(ssl_, rc) == SSL_ERROR_ZERO_RETURN) {
            peer_closed_ = true;
            break;
        }
        if (auto error = classify(rc)) {
            Error failed = fail(std::move(*error));
            if (total == 0) return failed;
            break;  // the plaintext before it first; the next call reports the failure
        }
        break;
    }
    return total;
}

Result<void> TlsChannel::write_plaintext(std::string_view bytes) {
    if (failure_) return *failure_;
    if (shutdown_sent_) return make_error("cannot write after the TLS connection was shut down");
    if (!handshake_done_ || !held_plaintext_.empty()) {
        held_plaintext_.append(bytes);
        return {};
    }
    return write_through(bytes);
}

Result<void> TlsChannel::write_through(std::string_view bytes) {
    while (!bytes.empty()) {
        ERR_clear_error();
        int rc = SSL_write(ssl_, bytes.data(), static_cast<int>(std::min(bytes.size(), kMaxSslIo)));
        if (rc > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(rc));
            continue;
        }
        if (auto error = classify(rc)) return fail(std::move(*error));
        held_plaintext_.assign(bytes);  // WANT_READ/WANT_WRITE: retried after the next feed
        return {};
    }
    return {};
}

Result<void> TlsChannel::shutdown() {
    if (failure_ || shutdown_sent_) return {};
    shutdown_sent_ = true;
    held_plaintext_.clear();
    if (!handshake_done_) return {};
    ERR_clear_error();
    int rc = SSL_shutdown(ssl_);
    if (rc >= 0) return {};
    if (auto error = classify(rc)) return fail(std::move(*error));
    return {};
}

std::optional<Error> TlsChannel::classify(int rc) {
    switch (SSL_get_error(ssl_, rc)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return std::nullopt;
        case SSL_ERROR_SSL: {
            const long verify = SSL_get_verify_result(ssl_);
            if ((SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER) && verify != X509_V_OK) {
                ERR_clear_error();
                verify_failed_ = true;
                if (verify == X509_V_ERR_HOSTNAME_MISMATCH ||
                    verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
                    return make_error("hostname mismatch: certificate is not valid for " + host_);
                }
                return make_error(std::string("certificate verify failed: ") +
                                  X509_verify_cert_error_string(verify));
            }
            return make_error(take_openssl_errors("TLS protocol error"));
        }
        case SSL_ERROR_SYSCALL:
            return make_error(take_openssl_errors("the TLS connection ended unexpectedly"));
        default:
            return make_error(take_openssl_errors("TLS error"));
    }
}

Error TlsChannel::fail(Error error) {
    failure_ = error;
    return error;
}

std::size_t TlsChannel::drain_write_bio(std::string& into) {
    const std::size_t pending = BIO_ctrl_pending(write_bio_);
    into.resize(pending);
    std::size_t taken = 0;
    while (taken < pending) {
        const int chunk = static_cast<int>(std::min(pending - taken, kMaxSslIo));
        const int got = BIO_read(write_bio_, into.data() + taken, chunk);
        if (got <= 0) break;
        taken += static_cast<std::size_t>(got);
    }
    into.resize(taken);
    taken_since_fresh_bio_ += taken;
    return taken;
}

std::string TlsChannel::take_ciphertext() {
    std::string bytes;
    drain_write_bio(bytes);
    return bytes;
}

std::string_view TlsChannel::take_ciphertext_view() {
    // One buffer for the thread: it keeps its capacity (about one flush of ciphertext) instead
    // of every connection holding one, and no flush allocates once it has grown.
    thread_local std::string buffer;
    drain_write_bio(buffer);
    return buffer;
}

std::size_t TlsChannel::pending_ciphertext() const {
    return BIO_ctrl_pending(write_bio_);
}

bool TlsChannel::has_buffered_input() const {
    return SSL_has_pending(ssl_) == 1 || input_.pending() > 0;
}

void TlsChannel::release_idle_buffers() {
    (void)SSL_free_buffers(ssl_);  // refused (harmlessly) while a record is partly read
    if (input_.pending() == 0 && input_.bytes.capacity() > kFreshBioThreshold)
        std::string().swap(input_.bytes);
    if (taken_since_fresh_bio_ >= kFreshBioThreshold && BIO_ctrl_pending(write_bio_) == 0) {
        if (BIO* fresh = new_memory_bio()) {
            SSL_set0_wbio(ssl_, fresh);
            write_bio_ = fresh;
            taken_since_fresh_bio_ = 0;
        }
    }
}

TlsSessionInfo TlsChannel::info() const {
    TlsSessionInfo info;
    info.protocol = SSL_get_version(ssl_);
    if (const char* cipher = SSL_get_cipher_name(ssl_)) info.cipher = cipher;
    X509* cert = SSL_get0_peer_certificate(ssl_);
    if (cert == nullptr) return info;
    if (BIO* text = BIO_new(BIO_s_mem())) {
        X509_NAME_print_ex(text, X509_get_subject_name(cert), 0, XN_FLAG_ONELINE);
        char* data = nullptr;
        const long length = BIO_get_mem_data(text, &data);
        if (length > 0) info.peer_subject.assign(data, static_cast<std::size_t>(length));
        BIO_free(text);
    }
    int days = 0;
    int seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) == 1) {
        info.peer_days_until_expiry = days;
    }
    return info;
}

}  // namespace mb::net
