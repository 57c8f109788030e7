// ReadinessReporter: what /readyz says. It remembers the last upstream login of each account and
// the last tunnel through each proxy (the sessions report them through SessionServices'
// observers) and composes a ReadinessReport from those and a snapshot of the daemon's parts.
// Plain data in, plain data out: unit-tested without a loop or a socket. Owned by the daemon.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/health/metric_labels.h"
#include "bridge/health/readiness.h"
#include "bridge/oauth/access_token.h"
#include "bridge/session/upstream_backoff.h"
#include "store/cache_writer.h"

namespace mb::daemon {

// The daemon's state at the moment of the report.
struct ReadinessSnapshot {
    const config::Config* config = nullptr;  // the configuration in force
    std::vector<health::ListenerState> listeners;
    std::vector<session::UpstreamBackoff::State> backoff;
    std::int64_t uptime_seconds = 0;
    bool cache_enabled = false;
    std::map<std::string, std::int64_t> cache_rows;  // messages cached per account
    std::map<std::string, store::CacheWriter::Stats::AccountLatency> cache_writes;
    std::vector<oauth::TokenStatus> tokens;
};

class ReadinessReporter {
  public:
    // `unix_time` is when it happened (seconds).
    void record_login(const std::string& account, health::LoginResult result,
                      const std::string& error, std::int64_t unix_time);
    void record_proxy(const std::string& proxy, bool ok, std::optional<double> latency_ms,
                      const std::string& error, std::int64_t unix_time);

    // Listeners and backoff as given; caches per account (row counts and write latencies
    // merged); every configured proxy with its last tunnel; every configured account once per
    // token key (or once without a token), with its last login.
    health::ReadinessReport report(const ReadinessSnapshot& snapshot) const;

  private:
    struct LastLogin {
        health::LoginResult result;
        std::int64_t time = 0;
        std::string error;
    };

    health::AccountState account_state(const std::string& account,
                                       const oauth::TokenStatus* token) const;

    std::map<std::string, LastLogin> last_logins_;
    std::map<std::string, health::ProxyState> last_proxies_;
};

// The protocol name a listener reports: "imap", "pop3", "smtp".
std::string protocol_name(config::Protocol protocol);

}  // namespace mb::daemon
