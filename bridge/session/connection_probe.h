// ConnectionProbe: `mailbridge test` for one [[server]] and one account — the upstream chain a
// login runs (resolve, TCP, proxy CONNECT, TLS, greeting/STARTTLS, token, SASL, logout), one step
// at a time, each timed, stopping at the first failure with the reason a client would be given.
// Runs on the caller's loop; destroying it cancels everything and its callback never runs.
#pragma once

#include <uv.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/net/uv_timer.h"
#include "bridge/oauth/token_manager.h"
#include "bridge/session/session_services.h"
#include "bridge/session/upstream_conversation.h"

namespace mb::session {

struct ProbeStep {
    std::string name;  // resolve, tcp_connect, proxy_connect, tls, starttls, greeting, token (or
                       // password), authenticate, logout
    bool ok = true;
    double milliseconds = 0;
    std::string detail;  // what was found, or why it failed (the client's reason text)
};

struct ProbeReport {
    std::string server;
    std::vector<ProbeStep> steps;
    bool ok() const {
        return !steps.empty() &&
               std::all_of(steps.begin(), steps.end(), [](const ProbeStep& s) { return s.ok; });
    }
};

// The table's label for a step name ("tcp_connect" → "TCP connect").
std::string_view probe_step_label(std::string_view name);

class ConnectionProbe {
  public:
    using Done = std::function<void(ProbeReport)>;

    // `services` describe the [[server]] (its route prepared); `login` is the name a client
    // would log in with (it picks the upstream identity and, for per-login flows, the token).
    ConnectionProbe(std::shared_ptr<const SessionServices> services,
                    const config::AccountSettings& account, std::string login);
    ~ConnectionProbe();
    ConnectionProbe(const ConnectionProbe&) = delete;
    ConnectionProbe& operator=(const ConnectionProbe&) = delete;

    void run(Done done);

  private:
    struct Lookup;
    using Clock = std::chrono::steady_clock;

    void resolve();
    void prepare_upstream();
    void on_prepared(const std::optional<UpstreamError>& error);
    void request_token();
    void authenticate();
    void log_out();
    void on_logout_data(std::string_view bytes);
    void add(std::string name, bool ok, Clock::duration time, std::string detail = {});
    void finish();
    double since(Clock::time_point start) const;

    std::shared_ptr<const SessionServices> services_;
    const config::AccountSettings& account_;
    std::string login_;
    Done done_;
    ProbeReport report_;
    Lookup* lookup_ = nullptr;  // freed by its own callback
    std::unique_ptr<UpstreamClient> upstream_;
    std::unique_ptr<net::ByteStream> stream_;  // after authentication, for the logout
    std::optional<oauth::AccessToken> token_;
    std::optional<Secret> password_;  // auth = "password" accounts
    oauth::TokenWait token_wait_;
    net::UvTimer logout_timer_;
    std::string logout_answer_;
    Clock::time_point step_started_;
};

}  // namespace mb::session
