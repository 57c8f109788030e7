// Metrics: declares the mailbridge_ families and maps each typed event onto them.
#include "bridge/health/metrics.h"

#include "bridge/log/log.h"

#include <array>
#include <iterator>

namespace mb::health {
namespace {

constexpr std::string_view kSessionsActive = "mailbridge_sessions_active";
constexpr std::string_view kSessionsTotal = "mailbridge_sessions_total";
constexpr std::string_view kSessionsRefused = "mailbridge_sessions_refused_total";
constexpr std::string_view kBytes = "mailbridge_bytes_total";
constexpr std::string_view kLogins = "mailbridge_logins_total";
constexpr std::string_view kTokenRefreshes = "mailbridge_token_refreshes_total";
constexpr std::string_view kConnectSeconds = "mailbridge_upstream_connect_seconds";
constexpr std::string_view kCacheRows = "mailbridge_cache_rows";
constexpr std::string_view kCacheWriteSeconds = "mailbridge_cache_write_seconds";
constexpr std::string_view kCacheBatchSeconds = "mailbridge_cache_batch_seconds";
constexpr std::string_view kCacheUpdates = "mailbridge_cache_updates";
constexpr std::string_view kCacheQueued = "mailbridge_cache_queued_updates";
constexpr std::string_view kBackoffFailures = "mailbridge_upstream_backoff_failures";
constexpr std::string_view kBackoffUntil = "mailbridge_upstream_backoff_until_seconds";
constexpr std::string_view kProxyConnects = "mailbridge_proxy_connects_total";
constexpr std::string_view kProxySeconds = "mailbridge_proxy_connect_seconds";
constexpr std::string_view kLoginRefusals = "mailbridge_login_refusals_total";
constexpr std::string_view kLogMaskedValues = "mailbridge_log_masked_values";

template <typename... Views>
std::array<std::string_view, sizeof...(Views)> labels(Views... values) {
    return {std::string_view(values)...};
}

}  // namespace

Metrics::Metrics() {
    registry_.add_gauge(std::string(kSessionsActive), "Client sessions open now, per server.",
                        {"server"});
    registry_.add_counter(std::string(kSessionsTotal), "Client sessions accepted, per server.",
                          {"server"});
    registry_.add_counter(std::string(kSessionsRefused),
                          "Client connections refused because max_sessions was reached.",
                          {"server"});
    registry_.add_counter(std::string(kBytes), "Bytes relayed, per server and direction.",
                          {"server", "direction"});
    registry_.add_counter(std::string(kLogins), "Client logins, per server and result.",
                          {"server", "result"});
    registry_.add_counter(std::string(kTokenRefreshes),
                          "OAuth2 token requests, per account and result.", {"account", "result"});
    registry_.add_histogram(
        std::string(kConnectSeconds),
        "Seconds from the start of an upstream connection to a usable session (TCP, proxy, TLS, "
        "authentication), per server.",
        {"server"}, {std::begin(kConnectLatencyBounds), std::end(kConnectLatencyBounds)});
    registry_.add_gauge(std::string(kCacheRows), "Rows in the metadata cache, per account.",
                        {"account"});
    registry_.add_gauge(std::string(kCacheWriteSeconds),
                        "Seconds from a cache update's submission to its commit, per account: "
                        "stat=last (worst of the newest batch) | average (over all its updates).",
                        {"account", "stat"});
    registry_.add_gauge(std::string(kBackoffFailures),
                        "Consecutive transient login failures of an account at an upstream "
                        "through a proxy or direct (0 after a success); while backing off, "
                        "logins on that route fail fast.",
                        {"account", "upstream", "proxy"});
    registry_.add_gauge(std::string(kBackoffUntil),
                        "Unix time until which logins of the account to the upstream through the "
                        "proxy (or direct) fail fast.",
                        {"account", "upstream", "proxy"});
    registry_.add_gauge(std::string(kCacheBatchSeconds),
                        "Seconds the cache writer spent on a batch (its transaction); one writer "
                        "serves every account. stat=last|average.",
                        {"stat"});
    registry_.add_gauge(std::string(kCacheUpdates),
                        "Cache updates since start: applied, unchanged (left out: the cache "
                        "already holds what they say), or dropped because the write queue was "
                        "full (their mailboxes are marked stale).",
                        {"result"});
    registry_.add_gauge(std::string(kCacheQueued), "Cache updates waiting for the writer.", {});
    registry_.add_counter(std::string(kProxyConnects),
                          "Tunnels opened through an HTTP proxy, per proxy and result.",
                          {"proxy", "result"});
    registry_.add_histogram(std::string(kProxySeconds),
                            "Seconds to open a tunnel through an HTTP proxy (TCP, TLS to an https "
                            "proxy, CONNECT with authentication), per proxy.",
                            {"proxy"},
                            {std::begin(kConnectLatencyBounds), std::end(kConnectLatencyBounds)});
    registry_.add_counter(std::string(kLoginRefusals),
                          "Login attempts refused by the password-guessing limits, connections "
                          "closed after too many failed logins, and early upstream dials left "
                          "out, per server and reason.",
                          {"server", "reason"});
    registry_.add_gauge(std::string(kLogMaskedValues),
                        "Distinct secret values the log masks now (configuration secrets and live "
                        "tokens); it does not grow with logins.",
                        {});
}

void Metrics::cache_writes(double last_batch_seconds, double average_batch_seconds,
                           std::uint64_t applied, std::uint64_t unchanged, std::uint64_t dropped,
                           std::size_t queued) {
    registry_.set(kCacheBatchSeconds, labels("last"), last_batch_seconds);
    registry_.set(kCacheBatchSeconds, labels("average"), average_batch_seconds);
    registry_.set(kCacheUpdates, labels("applied"), static_cast<double>(applied));
    registry_.set(kCacheUpdates, labels("unchanged"), static_cast<double>(unchanged));
    registry_.set(kCacheUpdates, labels("dropped"), static_cast<double>(dropped));
    registry_.set(kCacheQueued, labels(), static_cast<double>(queued));
}

void Metrics::cache_account_writes(std::string_view account, double last_seconds,
                                   double average_seconds) {
    registry_.set(kCacheWriteSeconds, labels(account, "last"), last_seconds);
    registry_.set(kCacheWriteSeconds, labels(account, "average"), average_seconds);
}

void Metrics::upstream_backoff(std::string_view account, std::string_view upstream,
                               std::string_view proxy, int failures, double retry_at_unix) {
    const std::string_view route_proxy = proxy.empty() ? "direct" : proxy;
    registry_.set(kBackoffFailures, labels(account, upstream, route_proxy),
                  static_cast<double>(failures));
    registry_.set(kBackoffUntil, labels(account, upstream, route_proxy), retry_at_unix);
}

void Metrics::add_proxy(std::string_view proxy) {
    registry_.touch(kProxyConnects, labels(proxy, "ok"));
    registry_.touch(kProxyConnects, labels(proxy, "failed"));
    registry_.touch(kProxySeconds, labels(proxy));
}

void Metrics::proxy_connect(std::string_view proxy, bool ok, std::optional<double> seconds) {
    registry_.add(kProxyConnects, labels(proxy, ok ? "ok" : "failed"), 1);
    if (ok && seconds) registry_.observe(kProxySeconds, labels(proxy), *seconds);
}

void Metrics::add_server(std::string_view server) {
    registry_.touch(kSessionsActive, labels(server));
    registry_.touch(kSessionsTotal, labels(server));
    registry_.touch(kSessionsRefused, labels(server));
    for (Direction d : {Direction::client_to_upstream, Direction::upstream_to_client})
        registry_.touch(kBytes, labels(server, to_string(d)));
    registry_.touch(kLogins, labels(server, to_string(LoginResult::ok)));
    registry_.touch(kConnectSeconds, labels(server));
}

void Metrics::add_account(std::string_view account) {
    registry_.touch(kTokenRefreshes, labels(account, to_string(TokenRefreshResult::ok)));
    registry_.touch(kCacheRows, labels(account));
}

void Metrics::session_opened(std::string_view server) {
    registry_.add(kSessionsActive, labels(server), 1);
    registry_.add(kSessionsTotal, labels(server), 1);
}

void Metrics::session_closed(std::string_view server) {
    registry_.add(kSessionsActive, labels(server), -1);
}

void Metrics::session_refused(std::string_view server) {
    registry_.add(kSessionsRefused, labels(server), 1);
}

void Metrics::bytes(std::string_view server, Direction direction, std::uint64_t n) {
    registry_.add(kBytes, labels(server, to_string(direction)), static_cast<double>(n));
}

ByteCounter Metrics::byte_counter(std::string_view server, Direction direction) {
    return ByteCounter(registry_.counter_cell(kBytes, labels(server, to_string(direction))));
}

void Metrics::login(std::string_view server, LoginResult result) {
    registry_.add(kLogins, labels(server, to_string(result)), 1);
}

void Metrics::token_refresh(std::string_view account, TokenRefreshResult result) {
    registry_.add(kTokenRefreshes, labels(account, to_string(result)), 1);
}

void Metrics::connect_latency(std::string_view server, double seconds) {
    registry_.observe(kConnectSeconds, labels(server), seconds);
}

void Metrics::cache_rows(std::string_view account, std::int64_t rows) {
    registry_.set(kCacheRows, labels(account), static_cast<double>(rows));
}

void Metrics::login_refusal(std::string_view server, std::string_view reason) {
    registry_.add(kLoginRefusals, labels(server, reason), 1);
}

std::string Metrics::render() const {
    registry_.set(kLogMaskedValues, labels(), static_cast<double>(log::registered_secrets()));
    return registry_.render();
}

}  // namespace mb::health
