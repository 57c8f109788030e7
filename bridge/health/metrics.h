// Metrics: the daemon's metrics with a typed facade, so that sessions, the token manager and the
// cache writer call methods (session_opened, bytes, login …) instead of naming metrics. Every name
// starts with mailbridge_. Owned by the daemon and used on the event-loop thread only (no
// locking); work on other threads posts its numbers to the loop first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/health/metric_labels.h"
#include "bridge/health/metrics_registry.h"

namespace mb::health {

// One series of mailbridge_bytes_total, resolved once (per session) instead of per chunk.
class ByteCounter {
  public:
    explicit ByteCounter(double* cell) : cell_(cell) {}
    void add(std::uint64_t n) { *cell_ += static_cast<double>(n); }

  private:
    double* cell_;
};

class Metrics {
  public:
    // Upper bounds of the upstream connect latency buckets, in seconds.
    static constexpr double kConnectLatencyBounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                       0.5,   1,    2.5,   5,    10};

    Metrics();

    // Zero-valued series for a configured server / account, so they show before any traffic.
    void add_server(std::string_view server);
    void add_account(std::string_view account);

    // A local client connected (active +1, total +1) / its session ended (active -1).
    void session_opened(std::string_view server);
    void session_closed(std::string_view server);
    // A client was refused because max_sessions was reached.
    void session_refused(std::string_view server);
    void bytes(std::string_view server, Direction direction, std::uint64_t n);
    // The same series as a handle, valid as long as this Metrics.
    ByteCounter byte_counter(std::string_view server, Direction direction);
    void login(std::string_view server, LoginResult result);
    void token_refresh(std::string_view account, TokenRefreshResult result);
    // Time from the start of the upstream connection to a usable session (TCP, proxy, TLS, auth).
    void connect_latency(std::string_view server, double seconds);
    // Rows the metadata cache holds for the account (messages and mailboxes).
    void cache_rows(std::string_view account, std::int64_t rows);
    // The cache writer (one for every account): batch latency (last, average), updates applied,
    // left out as unchanged and dropped so far, and updates waiting.
    void cache_writes(double last_batch_seconds, double average_batch_seconds,
                      std::uint64_t applied, std::uint64_t unchanged, std::uint64_t dropped,
                      std::size_t queued);
    // An account's cache write latency (submission to commit): its newest batch's worst, and
    // the average over its updates.
    void cache_account_writes(std::string_view account, double last_seconds,
                              double average_seconds);
    // Logins of `account` to `upstream` through `proxy` ("" = direct, labelled "direct") back
    // off: consecutive transient failures (0 after a success) and the unix time before which
    // logins on that route fail fast.
    void upstream_backoff(std::string_view account, std::string_view upstream,
                          std::string_view proxy, int failures, double retry_at_unix);
    // Zero-valued series for a configured [[proxy]].
    void add_proxy(std::string_view proxy);
    // A tunnel through `proxy` was opened (with the time it took) or failed.
    void proxy_connect(std::string_view proxy, bool ok, std::optional<double> seconds);

    // A login attempt refused by the password-guessing limits, or an early upstream dial left out:
    // reason = blocked_address | blocked_login | connection_closed | early_dial_capped.
    void login_refusal(std::string_view server, std::string_view reason);

    // Prometheus text exposition format 0.0.4. Also reads the log's count of masked values.
    std::string render() const;
    const MetricsRegistry& registry() const { return registry_; }

  private:
    mutable MetricsRegistry registry_;  // render() refreshes the gauges it reads live
};

}  // namespace mb::health
