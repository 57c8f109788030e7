// ClientSession: what every local client session shares, whatever its protocol: greet, read
// before login under an idle timer, upgrade the local connection to TLS (STARTTLS/STLS), run the
// UpstreamLogin, hand both connections to a Relay, say a protocol-correct goodbye, and tell the
// host when it is done. IMAP, POP3 and SMTP sessions derive from it and only speak their protocol.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bridge/net/byte_stream.h"
#include "bridge/net/uv_handle.h"
#include "bridge/session/relay.h"
#include "bridge/session/session_host.h"
#include "bridge/session/session_services.h"
#include "bridge/session/upstream_login.h"

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

    // The protocol's first words, and its goodbye ("* BYE …", "-ERR …", "421 …") for `reason`.
    virtual std::string greeting() = 0;
    virtual std::string goodbye(std::string_view reason) = 0;
    // Bytes from the client before login (the relay takes over after).
    virtual void on_client_data(std::string_view bytes) = 0;

    void reply(std::string bytes);
    void pause_reading();
    void resume_reading();
    bool can_start_tls() const;
    // Replies `ok_reply`, then makes the client connection TLS; `on_ready` runs after the
    // handshake.
    void start_local_tls(std::string ok_reply, std::function<void()> on_ready);
    bool local_tls_active() const { return local_tls_active_; }
    void run_login(std::string user, Secret password, UpstreamLogin::Done done);
    // After a successful login: sends `to_client` and `to_upstream` (the client's pipelined bytes),
    // then relays everything else through `setup`'s filters.
    void start_relay(LoginSuccess success, std::string to_client, std::string_view to_upstream,
                     RelaySetup setup);
    void close_client(std::string goodbye);
    bool closing() const { return closing_; }
    const SessionServices& services() const { return *services_; }
    std::string peer() const { return peer_; }

  private:
    void arm_preauth_timer();
    void finish();

    std::shared_ptr<const SessionServices> services_;
    std::unique_ptr<net::ByteStream> client_;
    SessionHost& host_;
    std::string peer_;
    std::string account_;  // set when the relay starts
    UpstreamLogin login_;
    std::unique_ptr<Relay> relay_;
    net::UvHandle<uv_timer_t> preauth_timer_;
    bool reading_paused_ = false;
    bool local_tls_active_ = false;
    bool closing_ = false;
    bool finished_ = false;
};

}  // namespace mb::session
