// TLS contexts: see tls_context.h.
#include "bridge/net/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <system_error>

#include "bridge/net/openssl_error.h"

namespace mb::net {

namespace {

// Settings both roles share: TLS 1.2 or newer, record buffers released while idle (they are
// most of an idle connection's memory), no renegotiation.
bool apply_common_settings(SSL_CTX* ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1;
}

Result<void> check_readable(const std::filesystem::path& file, const char* what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        return make_error(std::string("cannot load ") + what + " " + file.string() +
                          ": no such file (check the path in the configuration)");
    }
    return {};
}

}  // namespace

Result<TlsClientContext> TlsClientContext::create(const TlsClientOptions& options) {
    ERR_clear_error();
    TlsClientContext context;
    context.ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!context.ctx_ || !apply_common_settings(context.ctx_.get())) {
        return make_error("cannot create TLS client context: " +
                          take_openssl_errors("out of memory"));
    }
    SSL_CTX* ctx = context.ctx_.get();
    context.verify_ = options.verify;
    // ca_file adds trust anchors to the system store (CONTRACT.md: "extra trust anchors").
    bool system_loaded = SSL_CTX_set_default_verify_paths(ctx) == 1;
    if (!options.ca_file.empty()) {
        if (auto readable = check_readable(options.ca_file, "CA file"); !readable) {
            return readable.error();
        }
        if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
            return make_error("cannot load CA file " + options.ca_file.string() + ": " +
                              take_openssl_errors("no PEM certificate found") +
                              " (it must hold PEM certificates)");
        }
    } else if (!system_loaded) {
        return make_error(
            "cannot load the system trust store: " + take_openssl_errors("unknown error") +
            " (install ca-certificates or set ca_file)");
    }
    ERR_clear_error();
    SSL_CTX_set_verify(ctx, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    return context;
}

Result<TlsServerContext> TlsServerContext::create(const std::filesystem::path& cert_file,
                                                  const std::filesystem::path& key_file) {
    ERR_clear_error();
    TlsServerContext context;
    context.ctx_.reset(SSL_CTX_new(TLS_server_method()));
    if (!context.ctx_ || !apply_common_settings(context.ctx_.get())) {
        return make_error("cannot create TLS server context: " +
                          take_openssl_errors("out of memory"));
    }
    SSL_CTX* ctx = context.ctx_.get();
    if (auto readable = check_readable(cert_file, "certificate"); !readable)
        return readable.error();
    if (auto readable = check_readable(key_file, "private key"); !readable) return readable.error();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
        return make_error("cannot load certificate " + cert_file.string() + ": " +
                          take_openssl_errors("no PEM certificate found") +
                          " (local_cert must be a PEM certificate chain)");
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            return make_error("private key " + key_file.string() + " does not match certificate " +
                              cert_file.string());
        }
        return make_error("cannot load private key " + key_file.string() + ": " +
                          take_openssl_errors("no PEM private key found") +
                          " (local_key must be an unencrypted PEM private key)");
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        return make_error("private key " + key_file.string() + " does not match certificate " +
                          cert_file.string());
    }
    return context;
}

}  // namespace mb::net
