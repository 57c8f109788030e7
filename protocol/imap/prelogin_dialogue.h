// ImapPreLoginDialogue: the bridge's own side of a local IMAP session in the not-authenticated
// state, without I/O: greeting, CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN and AUTHENTICATE
// PLAIN (literals framed and bounded; "+" for synchronizing ones); on a STARTTLS listener no
// credentials are taken before TLS (LOGINDISABLED, PRIVACYREQUIRED). After the login it re-tags
// the upstream's OK for the client with the bridge's capability list.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/imap/stream_framer.h"
#include "protocol/limits.h"
#include "protocol/prelogin_dialogue.h"

namespace mb::protocol::imap {

class ImapPreLoginDialogue final : public PreLoginDialogue {
  public:
    struct Options {
        bool starttls_offered = false;  // the listener offers STARTTLS (TLS not yet active)
        std::size_t max_input = 2 * limits::kMaxPreAuthCommand;  // unprocessed bytes
        std::size_t max_command = limits::kMaxPreAuthCommand;    // one command with its literals
    };

    explicit ImapPreLoginDialogue(Options options);

    std::string greeting() const override;
    void feed(std::string_view bytes) override;
    void tls_started() override;
    // "* BYE" naming `reason`, then close.
    void tls_unavailable(std::string_view reason) override;
    // A tagged NO with the upstream's code (else UNAVAILABLE or AUTHENTICATIONFAILED); when
    // closing, a BYE after it.
    void login_refused(const LoginRefusal& refusal) override;
    // The upstream's OK re-tagged with the client's tag, its capability list rewritten.
    std::string logged_in(std::string_view upstream_answer) override;
    std::string take_pipelined() override;
    bool wants_input() const override;

  private:
    enum class State { not_authenticated, sasl_response, logging_in, tls_handshake, done };

    void process();
    void dispatch(std::string_view text);
    void on_sasl_response(std::string_view line);
    void begin_login(std::string tag, std::string user, Secret password);
    void close(std::string goodbye);
    bool can_starttls() const { return options_.starttls_offered && !tls_active_; }
    static std::string goodbye(std::string_view reason);
    static StreamFramer make_framer();

    Options options_;
    State state_ = State::not_authenticated;
    StreamFramer framer_;
    std::string input_;    // received, not yet processed
    std::string command_;  // the command being collected (segments and literal bodies)
    std::string sasl_tag_;
    std::string login_tag_;
    bool tls_active_ = false;
};

}  // namespace mb::protocol::imap
