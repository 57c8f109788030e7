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
#include "bridge/oauth/token_manager.h"
#include "bridge/session/imap_upstream.h"
#include "bridge/session/local_password_checker.h"
#include "bridge/session/relay.h"
#include "bridge/session/session_host.h"
#include "bridge/session/session_services.h"
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
    struct Login {
        std::string tag;
        std::string user;
        Secret password;
        const config::AccountSettings* account = nullptr;
        bool retried = false;
        std::chrono::steady_clock::time_point started;
    };

    void on_client_data(std::string_view bytes);
    void process_input();
    void dispatch(std::string_view command);
    void on_sasl_response(std::string_view line);
    void begin_login(std::string tag, std::string user, Secret password);
    void on_password_checked(Result<bool> verdict);
    void request_token();
    void on_token(const Result<oauth::AccessToken>& token);
    void ensure_upstream();
    void on_upstream_prepared(const std::optional<UpstreamError>& error);
    void authenticate_upstream();
    void on_upstream_auth(Result<std::string> ok_line, const UpstreamError& error);
    void login_failed(health::LoginResult result, std::string_view code, const std::string& text);
    void start_relay(const std::string& ok_line);
    void start_local_tls(const std::string& tag);
    void reply(std::string bytes);
    void close_client(std::string goodbye);
    void finish();
    void arm_preauth_timer();
    std::string account_prefix() const;

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
    std::optional<Login> login_;
    std::unique_ptr<ImapUpstream> upstream_;
    std::optional<UpstreamError> upstream_error_;
    std::optional<oauth::AccessToken> token_;
    oauth::TokenWait token_wait_;
    LocalPasswordChecker::Check password_check_;
    std::unique_ptr<Relay> relay_;
    net::UvHandle<uv_timer_t> preauth_timer_;
    bool upstream_said_bye_ = false;
    bool finished_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mb::session
