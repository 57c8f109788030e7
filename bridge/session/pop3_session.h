// Pop3Session: one local POP3 client. Before login the bridge speaks for itself (greeting, CAPA,
// USER/PASS, AUTH PLAIN, STLS, QUIT); after login the relay carries the session, with CAPA
// answers rewritten. Lifecycle: see ClientSession.
#pragma once

#include <optional>
#include <string>

#include "bridge/session/client_session.h"
#include "protocol/line_framer.h"

namespace mb::session {

class Pop3Session final : public ClientSession {
  public:
    Pop3Session(std::shared_ptr<const SessionServices> services,
                std::unique_ptr<net::ByteStream> client, SessionHost& host);

  private:
    enum class State { authorization, sasl_response, busy, relaying };

    std::string greeting() override;
    std::string goodbye(std::string_view reason) override;
    void on_client_data(std::string_view bytes) override;

    void process_input();
    void dispatch(std::string_view line);
    void on_sasl_response(std::string_view line);
    void begin_login(std::string user, Secret password);
    void on_login(std::optional<LoginSuccess> success, const LoginFailure& failure);

    State state_ = State::authorization;
    protocol::LineFramer lines_;
    std::string input_;  // received, not yet processed (before login only)
    std::optional<std::string> user_;
};

}  // namespace mb::session
