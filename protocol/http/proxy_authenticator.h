// ProxyAuthenticator: one CONNECT's authentication round with an HTTP proxy, sans-I/O. Given the
// 407 the proxy sent, it picks a challenge allowed by the configured mode (any: Digest, SHA-256
// before MD5, over Basic), and returns the Proxy-Authorization for the next attempt. A second 407
// ends it ("407 after credentials"), except once for a Digest stale=true (new nonce, same
// credentials). Owned by one ProxyTunnel; holds the password as a Secret.
#pragma once

#include <string>
#include <string_view>

#include "protocol/http/response_head_parser.h"
#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::http {

enum class ProxyAuthMode { none, basic, digest, any };

std::string_view to_string(ProxyAuthMode mode);  // "none", "basic", "digest", "any"

class ProxyAuthenticator {
  public:
    ProxyAuthenticator(ProxyAuthMode mode, std::string username, Secret password);

    // Answers a 407 response head for `CONNECT uri`; cnonce is fresh randomness for Digest.
    // Errors say what to change: auth = "none" facing a 407, no challenge the mode accepts
    // (naming what the proxy offered), a malformed challenge, or repeated rejection.
    Result<Secret> answer(const ResponseHead& head, std::string_view uri, std::string_view cnonce);

    // The scheme of the last answer ("Basic", "Digest MD5", "Digest SHA-256-sess"); empty before.
    const std::string& scheme() const { return scheme_; }

  private:
    ProxyAuthMode mode_;
    std::string username_;
    Secret password_;
    std::string scheme_;
    bool answered_ = false;
    bool answered_digest_ = false;
    bool stale_retry_used_ = false;
};

}  // namespace mb::protocol::http
