// TLS contexts (SSL_CTX) for both roles. A context is built once per configured server and
// shared by its connections; each SSL made from it holds its own reference, so a TlsChannel may
// outlive the context object. Owner: whoever built it (daemon per [[server]], or a CLI command).
#pragma once

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>

#include "protocol/result.h"

namespace mb::net {

struct TlsClientOptions {
    std::filesystem::path ca_file;  // extra trust anchors beside the system store; empty = none
    bool verify = true;             // false = no chain and no hostname check
};

// Client role, for upstream servers and https proxies: TLS 1.2 minimum, released idle buffers.
class TlsClientContext {
  public:
    static Result<TlsClientContext> create(const TlsClientOptions& options);
    SSL_CTX* native() const { return ctx_.get(); }
    bool verify() const { return verify_; }

  private:
    struct Free {
        void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    };
    std::unique_ptr<SSL_CTX, Free> ctx_;
    bool verify_ = true;
};

// Server role, for local_tls: certificate chain and private key from PEM files.
class TlsServerContext {
  public:
    static Result<TlsServerContext> create(const std::filesystem::path& cert_file,
                                           const std::filesystem::path& key_file);
    SSL_CTX* native() const { return ctx_.get(); }

  private:
    struct Free {
        void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    };
    std::unique_ptr<SSL_CTX, Free> ctx_;
};

}  // namespace mb::net
