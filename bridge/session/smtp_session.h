// SmtpSession: one local SMTP submission client. Before login the bridge speaks for itself
// (greeting, EHLO/HELO, STARTTLS, AUTH PLAIN and LOGIN, RSET, NOOP, QUIT, VRFY, HELP; mail
// commands get 530); its EHLO answer waits until the upstream is prepared, so that it offers only
// what the upstream supports. On AUTH it checks the local password, gets a token and
// authenticates upstream (prepared while the client was greeting); then a Relay with an
// SmtpRelayFilter carries the session. Owned by its listener's SessionHost; it asks the host to
// destroy it (from a later loop turn) when its streams are closed.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bridge/net/byte_stream.h"
#include "bridge/net/uv_handle.h"
#include "bridge/session/relay.h"
#include "bridge/session/session_host.h"
#include "bridge/session/session_services.h"
#include "bridge/session/smtp_relay_filter.h"
#include "bridge/session/upstream_login.h"
#include "protocol/line_framer.h"
#include "protocol/smtp/ehlo_capabilities.h"

namespace mb::session {

class SmtpSession final : public Session {
  public:
    SmtpSession(std::shared_ptr<const SessionServices> services,
                std::unique_ptr<net::ByteStream> client, SessionHost& host);
    ~SmtpSession() override;

    void start() override;
    // Daemon stop or account removal: a 421 naming `reason`, then close.
    void shut_down(std::string_view reason) override;
    std::string_view account() const override { return account_; }

  private:
    enum class State {
        command,
        auth_plain,           // waiting for the PLAIN response after "334 "
        auth_login_user,      // waiting for the LOGIN user name
        auth_login_password,  // waiting for the LOGIN password
        logging_in,
        tls_handshake,
        relaying,
        closing
    };
    enum class UpstreamOffer { unknown, known, unavailable };

    std::unique_ptr<UpstreamClient> make_upstream(const config::AccountSettings* account);
    void on_upstream_capabilities(const std::optional<protocol::smtp::EhloCapabilities>& caps);
    void on_client_data(std::string_view bytes);
    void process_input();
    void handle_line(std::string_view line);
    void dispatch(std::string_view line);
    void on_auth_command(const protocol::smtp::AuthArguments& args);
    void on_plain_response(std::string_view line);
    void on_login_user(std::string_view line);
    void on_login_password(std::string_view line);
    void begin_login(std::string user, Secret password);
    void on_login(std::optional<LoginSuccess> success, const LoginFailure& failure);
    void start_relay(LoginSuccess success);
    std::string account_;  // set when the relay starts
    void start_local_tls();
    std::string ehlo_answer() const;
    bool can_starttls() const;
    void reply(std::string bytes);
    void update_reading();
    void resume_soon();
    void close_client(std::string goodbye);
    void finish();
    void arm_preauth_timer();

    std::shared_ptr<const SessionServices> services_;
    std::unique_ptr<net::ByteStream> client_;
    SessionHost& host_;
    std::string domain_;  // this host's name, in the greeting and EHLO answers
    State state_ = State::command;
    protocol::LineFramer framer_;
    std::string input_;  // received, not yet processed (before login only)
    bool reading_ = false;
    bool waiting_for_upstream_ = false;  // an EHLO waits for the upstream's capabilities
    bool backlog_paused_ = false;        // the client is not reading its replies
    bool local_tls_active_ = false;
    UpstreamOffer upstream_offer_ = UpstreamOffer::unknown;
    protocol::smtp::EhloCapabilities upstream_capabilities_;
    std::string login_user_;  // AUTH LOGIN: the user name, until the password comes
    UpstreamLogin login_;
    std::shared_ptr<SmtpRelayFilter> filter_;
    std::unique_ptr<Relay> relay_;
    net::UvHandle<uv_timer_t> preauth_timer_;
    net::UvHandle<uv_timer_t> resume_timer_;
    bool finished_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mb::session
