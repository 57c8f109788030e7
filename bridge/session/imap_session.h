// ImapSession: one local IMAP client. Before login an ImapPreLoginDialogue speaks for the bridge
// (greeting, CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN, AUTHENTICATE PLAIN); after login the
// relay carries the session, with CAPABILITY lists rewritten and the cache fed. Lifecycle: see
// ClientSession.
#pragma once

#include <string>

#include "bridge/session/client_session.h"
#include "protocol/imap/prelogin_dialogue.h"

namespace mb::session {

class ImapSession final : public ClientSession {
  public:
    ImapSession(std::shared_ptr<const SessionServices> services,
                std::unique_ptr<net::ByteStream> client, SessionHost& host);

  private:
    std::string goodbye(std::string_view reason) override;
    protocol::PreLoginDialogue& prelogin_dialogue() override { return dialogue_; }
    // The relay: responses filtered (CAPABILITY rewritten), the cache observer and the command
    // boundary fed from the client's commands (those pipelined after the login first).
    void on_logged_in(LoginSuccess success, std::string line, std::string pipelined) override;

    protocol::imap::ImapPreLoginDialogue dialogue_;
    bool upstream_said_bye_ = false;
};

}  // namespace mb::session
