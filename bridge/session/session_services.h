// SessionServices: what every client session of one listener shares — its server settings, the
// account directory, the password checker, the token manager, TLS contexts and metrics. Built by
// the daemon per configuration generation and held by each session through a shared_ptr, so a
// reload never pulls settings from under a running session.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/net/proxy_target.h"

// The services by name only: a session header that includes this one does not pull in their
// definitions (the token manager, the cache writer and, below them, SQLite).
struct uv_loop_s;
typedef struct uv_loop_s uv_loop_t;

namespace mb::config {
struct Config;
struct ServerSettings;
}  // namespace mb::config
namespace mb::health {
enum class LoginResult;
class Metrics;
}  // namespace mb::health
namespace mb::net {
class TlsClientContext;
class TlsServerContext;
}  // namespace mb::net
namespace mb::oauth {
class SecretCache;
class TokenManager;
}  // namespace mb::oauth
namespace mb::store {
class CacheWriter;
}  // namespace mb::store
namespace mb::session {
class AccountDirectory;
class LocalPasswordChecker;
class LoginGuard;
class UpstreamBackoff;
}  // namespace mb::session

namespace mb::session {

// The last upstream login of an account, for /readyz.
using LoginObserver = std::function<void(const std::string& account, health::LoginResult result,
                                         const std::string& error)>;

// A tunnel through the listener's proxy opened (latency) or failed (error), for /readyz.
using ProxyObserver = std::function<void(
    const std::string& proxy, bool ok, std::optional<double> latency_ms, const std::string& error)>;

struct SessionServices {
    uv_loop_t* loop = nullptr;
    std::shared_ptr<const config::Config> config;  // keeps `server` and accounts alive
    const config::ServerSettings* server = nullptr;
    std::shared_ptr<AccountDirectory> directory;
    std::shared_ptr<LocalPasswordChecker> passwords;
    oauth::TokenManager* tokens = nullptr;  // owned by the daemon, outlives sessions
    health::Metrics* metrics = nullptr;     // owned by the daemon, outlives sessions
    store::CacheWriter* cache = nullptr;    // owned by the daemon; null: no metadata cache
    UpstreamBackoff* backoff = nullptr;     // owned by the daemon; null: no backoff
    LoginGuard* guard = nullptr;            // owned by the daemon; null: no guessing limits
    oauth::SecretCache* secrets = nullptr;  // owned by the daemon: upstream passwords, off the loop
    LoginObserver on_login;
    ProxyObserver on_proxy;
    std::shared_ptr<net::TlsClientContext> upstream_tls;
    std::shared_ptr<net::TlsServerContext> local_tls;  // null when local_tls = "none"
    std::optional<net::ProxyTarget> proxy;  // the listener's [[proxy]], password resolved

    // [daemon] timeouts of this generation's configuration.
    std::chrono::milliseconds connect_timeout() const;
    std::chrono::seconds idle_timeout() const;
    std::chrono::seconds prelogin_timeout() const;
};

}  // namespace mb::session
