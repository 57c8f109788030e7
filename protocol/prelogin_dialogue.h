// PreLoginDialogue: what the sans-I/O pre-login dialogues of the local IMAP, POP3 and SMTP
// servers share — client bytes and session events in, actions out (reply, start TLS, log in with
// these credentials, close). The session (bridge/session/client_session) carries the actions out.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/secret.h"

namespace mb::protocol {

struct PreLoginAction {
    enum class Kind {
        reply,      // send `bytes` to the client
        command,    // a command arrived (`bytes` names it, no arguments), for a trace line
        start_tls,  // send `bytes` (the go-ahead) and make the connection TLS; then
                    // tls_started(), or tls_unavailable() when TLS cannot start (nothing sent)
        login,      // check `user` and `password`; then logged_in() or login_refused()
        close,      // send `bytes` (may be empty) and close the connection
    };
    Kind kind = Kind::reply;
    std::string bytes;
    std::string user;
    Secret password;
};

struct LoginRefusal {
    bool temporary = false;         // the upstream or the token service failed, not the password
    std::string message;            // for the client
    std::string upstream_code;      // the upstream's own response code, when it refused
    bool close_connection = false;  // too many failures on this connection
};

class PreLoginDialogue {
  public:
    virtual ~PreLoginDialogue() = default;

    // The greeting the session sends first.
    virtual std::string greeting() const = 0;
    // Bytes from the client.
    virtual void feed(std::string_view bytes) = 0;
    // The local TLS handshake finished: the dialogue starts afresh over TLS.
    virtual void tls_started() = 0;
    // TLS could not start (the go-ahead was not sent).
    virtual void tls_unavailable(std::string_view reason) = 0;
    virtual void login_refused(const LoginRefusal& refusal) = 0;
    // The login succeeded with the upstream's final answer (CRLF included): the reply for the
    // client. The dialogue is over; take_pipelined() gives what the client sent after its login.
    virtual std::string logged_in(std::string_view upstream_answer) = 0;
    virtual std::string take_pipelined() = 0;

    // The next action, in order; nullopt when there is none.
    std::optional<PreLoginAction> next_action();
    // Whether the session should read from the client now.
    virtual bool wants_input() const = 0;

  protected:
    void push(PreLoginAction::Kind kind, std::string bytes);
    void reply(std::string bytes) { push(PreLoginAction::Kind::reply, std::move(bytes)); }
    void push_login(std::string user, Secret password);
    std::size_t pending_actions() const { return actions_.size(); }

  private:
    std::deque<PreLoginAction> actions_;
};

}  // namespace mb::protocol
