// ServerListener: one [[server]] listener. It accepts local clients, refuses them past
// max_sessions with a protocol-correct goodbye, and owns their sessions until each finishes
// (sessions are destroyed from a later loop turn, never inside their own callbacks).
// Owned by the Daemon; it must outlive its sessions (stop() then wait for session_count() == 0).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/net/tcp_listener.h"
#include "bridge/net/uv_timer.h"
#include "bridge/session/session_host.h"
#include "bridge/session/session_services.h"
#include "protocol/result.h"

namespace mb::daemon {

class ServerListener final : public session::SessionHost {
  public:
    // `active_sessions` counts sessions across every listener of the daemon (max_sessions).
    ServerListener(uv_loop_t* loop, std::shared_ptr<const session::SessionServices> services,
                   std::size_t& active_sessions);
    ~ServerListener();
    ServerListener(const ServerListener&) = delete;
    ServerListener& operator=(const ServerListener&) = delete;

    Result<void> start();
    void stop_accepting();
    bool listening() const { return listener_ && listener_->is_listening(); }
    const std::string& error() const { return error_; }
    // Ends every session with a goodbye naming `reason`.
    void shut_down_sessions(std::string_view reason);
    // Ends the logged-in sessions of `account` with a goodbye naming `reason`.
    void shut_down_sessions_of(std::string_view account, std::string_view reason);
    std::size_t session_count() const { return sessions_.size(); }
    const session::SessionServices& services() const { return *services_; }
    // Later sessions use these services (config reload); running sessions keep theirs.
    void update_services(std::shared_ptr<const session::SessionServices> services);

    void session_finished(session::Session* session) override;

  private:
    void on_accept(std::unique_ptr<net::TcpStream> stream);
    std::unique_ptr<session::Session> make_session(std::unique_ptr<net::ByteStream> stream);
    void refuse(std::unique_ptr<net::TcpStream> stream);
    void reap();

    uv_loop_t* loop_;
    std::shared_ptr<const session::SessionServices> services_;
    std::size_t& active_sessions_;
    std::unique_ptr<net::TcpListener> listener_;
    std::string error_;
    std::unordered_map<session::Session*, std::unique_ptr<session::Session>> sessions_;
    std::vector<std::unique_ptr<session::Session>> finished_;
    std::unordered_map<net::ByteStream*, std::unique_ptr<net::ByteStream>> refused_;
    std::vector<std::unique_ptr<net::ByteStream>> closed_streams_;
    net::UvTimer reaper_;
};

}  // namespace mb::daemon
