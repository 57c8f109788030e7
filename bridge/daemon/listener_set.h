// ListenerSet: the daemon's [[server]] listeners across reloads. A reload matches listeners by
// server name: same address, later sessions take the new services; a new address or a removed
// server, the old listener stops accepting and drains (its sessions run to their end) while a new
// one binds. Retired listeners are freed from a timer once their last session ended, never inside
// a session callback. Owned by the daemon; counts the open sessions of every listener
// (max_sessions is daemon-wide).
#pragma once

#include <uv.h>

#include <memory>
#include <string_view>
#include <vector>

#include "bridge/daemon/server_listener.h"
#include "bridge/health/readiness.h"
#include "bridge/net/uv_timer.h"
#include "bridge/session/session_services.h"
#include "protocol/result.h"

namespace mb::daemon {

class ListenerSet {
  public:
    using Services = std::vector<std::shared_ptr<const session::SessionServices>>;

    explicit ListenerSet(uv_loop_t* loop);
    ListenerSet(const ListenerSet&) = delete;
    ListenerSet& operator=(const ListenerSet&) = delete;

    // At start: one listener per services, each bound; the first failure is returned.
    Result<void> start(const Services& services);
    // A reload: see above. A listener that cannot bind is kept, down, with its error.
    void replace(const Services& services);
    // SIGTERM: retired listeners join the others, and none accepts any more.
    void stop_accepting();
    // Every session of every listener (retired ones too) gets a goodbye naming `reason`.
    void shut_down_sessions(std::string_view reason);
    // The logged-in sessions of `account`, on every listener, get a goodbye naming `reason`.
    void shut_down_sessions_of(std::string_view account, std::string_view reason);
    // Frees every listener; their sessions must have ended or be given up.
    void clear();

    std::size_t active_sessions() const { return active_sessions_; }
    std::size_t size() const { return listeners_.size(); }
    std::size_t listening() const;
    // The listeners in force (retired ones are not reported), for /readyz.
    std::vector<health::ListenerState> states() const;

  private:
    void retire(std::unique_ptr<ServerListener> listener);
    void start_drain_timer();
    void on_drain_timer();

    uv_loop_t* loop_;
    std::size_t active_sessions_ = 0;  // declared first: the listeners update it when destroyed
    std::vector<std::unique_ptr<ServerListener>> listeners_;
    std::vector<std::unique_ptr<ServerListener>> draining_;  // removed/moved, sessions still open
    std::vector<std::unique_ptr<ServerListener>> finished_;  // freed by drain_timer_
    net::UvTimer drain_timer_;
};

}  // namespace mb::daemon
