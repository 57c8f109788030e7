// ProxyTarget: one [[proxy]] as the dialer needs it, in a header of its own so that holders of a
// proxy setting (SessionServices) need not include the tunnel. Implemented in proxy_tunnel.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "protocol/http/proxy_authenticator.h"
#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::net {

class TlsClientContext;

// One [[proxy]] as the dialer needs it, built by the session from config::ProxySettings with the
// password already resolved.
struct ProxyTarget {
    std::string name;  // [[proxy]] name, for messages
    std::string url;   // as configured, for messages ("http://127.0.0.1:3128")
    std::string host;  // the proxy's host (IPv6 without brackets)
    uint16_t port = 0;
    bool https = false;  // TLS to the proxy itself
    protocol::http::ProxyAuthMode auth = protocol::http::ProxyAuthMode::any;
    std::string username;
    Secret password;
    std::filesystem::path ca_file;  // trust anchors for an https proxy beside the system store
    std::vector<std::string> no_proxy;
    // For https proxies: the context verifying the proxy's certificate. Built once by
    // load_tls() and shared by every dial; when empty the dialer builds one per dial.
    std::shared_ptr<const TlsClientContext> tls;

    // Builds `tls` for an https proxy from ca_file (no-op for http). Errors name the file.
    Result<void> load_tls();
    // "proxy corp (http://127.0.0.1:3128)"
    std::string describe() const;
};

}  // namespace mb::net
