// ClientSession: what every local client session shares, whatever its protocol: greet, read
// before login under an idle timer (and stop reading while the client leaves its replies unread),
// upgrade the local connection to TLS (STARTTLS/STLS), run the UpstreamLogin, hand both
// connections to a Relay, say a protocol-correct goodbye, and tell the host when it is done.
// IMAP, POP3 and SMTP sessions derive from it and only speak their protocol.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bridge/net/byte_stream.h"
#include "bridge/net/uv_timer.h"
#include "bridge/session/relay.h"
#include "bridge/session/session_host.h"
#include "bridge/session/session_services.h"
#include "bridge/session/upstream_login.h"
#include "protocol/prelogin_dialogue.h"

namespace mb::session {

class ClientSession : public Session {
  public:
    ClientSession(std::shared_ptr<const SessionServices> services,
                  std::unique_ptr<net::ByteStream> client, SessionHost& host,
                  UpstreamLogin::UpstreamFactory upstream_factory);
    ~ClientSession() override;

    void start() final;
    void shut_down(std::string_view reason) final;
    std::string_view account() const final { return account_; }

  protected:
    struct RelaySetup {
        Relay::Filter client_filter;    // client → upstream; may be empty
        Relay::Filter upstream_filter;  // upstream → client; may be empty
        // The goodbye for the client when the upstream ends the session ("" = none).
        std::function<std::string(const net::CloseReason&)> on_upstream_closed;
        // What to say upstream when the client vanished ("" = just close).
        std::function<std::string()> on_client_closed;
    };

    // The protocol's goodbye ("* BYE …", "-ERR …", "421 …") for `reason`.
    virtual std::string goodbye(std::string_view reason) = 0;
    // The goodbye when the session was idle too long (`what`: before login, or relaying).
    virtual std::string idle_goodbye(std::string_view what) { return goodbye(what); }
    // The protocol's sans-I/O pre-login dialogue (protocol/*/prelogin_dialogue): it greets, gets
    // the client's bytes until the login, and decides; this class carries out its actions.
    virtual protocol::PreLoginDialogue& prelogin_dialogue() = 0;
    // The dialogue's login succeeded: `answer` is its reply for the client, `pipelined` what the
    // client sent after its login. Sets up and starts the relay (start_relay()).
    virtual void on_logged_in(LoginSuccess success, std::string answer, std::string pipelined) {
        start_relay(std::move(success), std::move(answer), pipelined, {});
    }
    // Carries out the pre-login dialogue's actions, in order, while the session may act.
    void run_actions();
    // After the greeting; `upstream_dialing`: the upstream is being prepared already (no early
    // dial for a client with recent failures, or over the early-dial limits).
    virtual void on_started(bool upstream_dialing) { (void)upstream_dialing; }

    void reply(std::string bytes);
    bool can_start_tls() const;
    // The listener offers STARTTLS/STLS (local TLS configured in starttls mode).
    static bool listener_offers_starttls(const SessionServices& services);
    // Replies `ok_reply`, then makes the client connection TLS; `on_ready` runs after the
    // handshake. When TLS cannot start, nothing is replied and `on_unavailable` gets the reason
    // (without it the client gets the goodbye and the connection closes).
    void start_local_tls(std::string ok_reply, std::function<void()> on_ready,
                         std::function<void(std::string_view)> on_unavailable = {});
    bool local_tls_active() const { return local_tls_active_; }
    void run_login(std::string user, Secret password, UpstreamLogin::Done done);
    // After a successful login: sends `to_client` (unless empty) and `to_upstream` (the client's
    // pipelined bytes), then relays everything else through `setup`'s filters.
    void start_relay(LoginSuccess success, std::string to_client, std::string_view to_upstream,
                     RelaySetup setup);
    void close_client(std::string goodbye);
    bool closing() const { return closing_; }
    const SessionServices& services() const { return *services_; }
    std::string peer() const { return peer_; }
    // The client connection (TLS once started), until the relay takes it.
    net::ByteStream& client_stream() { return *client_; }

  private:
    void arm_preauth_timer();
    void finish();
    void install_client_handlers(net::ByteStream& stream);
    void update_reading();
    void on_client_data(std::string_view bytes);
    void on_dialogue_login(std::optional<LoginSuccess> success, const LoginFailure& failure);

    std::shared_ptr<const SessionServices> services_;
    std::unique_ptr<net::ByteStream> client_;
    SessionHost& host_;
    std::string peer_;
    std::string account_;  // set when the relay starts
    UpstreamLogin login_;
    std::unique_ptr<Relay> relay_;
    net::UvTimer preauth_timer_;
    bool reading_paused_ = false;  // by the dialogue (a login under way, an EHLO waiting)
    bool backlog_paused_ = false;  // the client does not read its replies
    bool reading_ = false;
    bool running_actions_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool local_tls_active_ = false;
    bool closing_ = false;
    bool finished_ = false;
};

}  // namespace mb::session
