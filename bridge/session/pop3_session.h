// Pop3Session: one local POP3 client. Before login a Pop3PreLoginDialogue speaks for the bridge
// (greeting, CAPA, USER/PASS, AUTH PLAIN, STLS, QUIT); after login the relay carries the session,
// with CAPA answers rewritten. Lifecycle: see ClientSession.
#pragma once

#include <string>

#include "bridge/session/client_session.h"
#include "protocol/pop3/prelogin_dialogue.h"

namespace mb::session {

class Pop3Session final : public ClientSession {
  public:
    Pop3Session(std::shared_ptr<const SessionServices> services,
                std::unique_ptr<net::ByteStream> client, SessionHost& host);

  private:
    std::string goodbye(std::string_view reason) override;
    protocol::PreLoginDialogue& prelogin_dialogue() override { return dialogue_; }
    // The relay with Pop3RelayFilters (commands pipelined after the login go through them).
    void on_logged_in(LoginSuccess success, std::string answer, std::string pipelined) override;

    protocol::pop3::Pop3PreLoginDialogue dialogue_;
};

}  // namespace mb::session
