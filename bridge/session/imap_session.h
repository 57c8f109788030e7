// ImapSession: one local IMAP client. Before login the bridge speaks for itself (greeting,
// CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN, AUTHENTICATE PLAIN); on login it checks the local
// password, gets a token and authenticates upstream (prepared while the client was still typing);
// then a Relay carries the session. Owned by its listener's SessionHost; it asks the host to
// destroy it (from a later loop turn) when its streams are closed.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bridge/net/byte_stream.h"
#include "bridge/net/uv_handle.h"
#include "bridge/session/relay.h"
#include "bridge/session/session_host.h"
#include "bridge/session/session_services.h"
#include "bridge/session/upstream_login.h"
#include "protocol/imap/command_parser.h"
#include "protocol/imap/stream_framer.h"

namespace mb::session {

class ImapSession final : public Session {
  public:
    ImapSession(std::shared_ptr<const SessionServices> services,
                std::unique_ptr<net::ByteStream> client, SessionHost& host);
    ~ImapSession() override;

    void start() override;
    // Daemon stop or account removal: a protocol-correct goodbye, then close.
    void shut_down(std::string_view reason) override;

  private:
    enum class State {
        not_authenticated,
        sasl_response,
        logging_in,
        tls_handshake,
        relaying,
        closing
    };
    void on_client_data(std::string_view bytes);
    void process_input();
    void dispatch(std::string_view command);
    void on_sasl_response(std::string_view line);
    void begin_login(std::string tag, std::string user, Secret password);
    void on_login(std::optional<LoginSuccess> success, const LoginFailure& failure);
    void start_relay(LoginSuccess success);
    void start_local_tls(const std::string& tag);
    void reply(std::string bytes);
    void close_client(std::string goodbye);
    void finish();
    void arm_preauth_timer();

    std::shared_ptr<const SessionServices> services_;
    std::unique_ptr<net::ByteStream> client_;
    SessionHost& host_;
    State state_ = State::not_authenticated;
    protocol::imap::StreamFramer framer_;
    std::string input_;    // received, not yet processed (before login only)
    std::string command_;  // the command being collected (segments and literal bodies)
    bool reading_paused_ = false;
    bool local_tls_active_ = false;
    std::string sasl_tag_;
    std::string login_tag_;
    UpstreamLogin login_;
    std::unique_ptr<Relay> relay_;
    net::UvHandle<uv_timer_t> preauth_timer_;
    bool upstream_said_bye_ = false;
    bool finished_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mb::session
