// ImapSession: one local IMAP client. Before login the bridge speaks for itself (greeting,
// CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN, AUTHENTICATE PLAIN); after login the relay
// carries the session, with CAPABILITY lists rewritten. Lifecycle: see ClientSession.
#pragma once

#include <string>

#include "bridge/session/client_session.h"
#include "protocol/imap/stream_framer.h"

namespace mb::session {

class ImapSession final : public ClientSession {
  public:
    ImapSession(std::shared_ptr<const SessionServices> services,
                std::unique_ptr<net::ByteStream> client, SessionHost& host);

  private:
    enum class State { not_authenticated, sasl_response, busy, relaying };

    std::string greeting() override;
    std::string goodbye(std::string_view reason) override;
    void on_client_data(std::string_view bytes) override;

    void process_input();
    void dispatch(std::string_view command);
    void on_sasl_response(std::string_view line);
    void begin_login(std::string tag, std::string user, Secret password);
    void on_login(std::optional<LoginSuccess> success, const LoginFailure& failure);

    State state_ = State::not_authenticated;
    protocol::imap::StreamFramer framer_;
    std::string input_;    // received, not yet processed (before login only)
    std::string command_;  // the command being collected (segments and literal bodies)
    std::string sasl_tag_;
    std::string login_tag_;
    bool upstream_said_bye_ = false;
};

}  // namespace mb::session
