// SmtpPreLoginDialogue: the bridge's own side of a local SMTP submission session before login,
// without I/O — client bytes and events in (the upstream's extensions, TLS up, a refused login),
// actions out (reply, start TLS, log in with these credentials, close). It answers EHLO/HELO,
// STARTTLS, AUTH PLAIN and LOGIN, RSET, NOOP, QUIT, VRFY, HELP itself (mail commands get 530);
// an EHLO waits until the upstream's extensions are known, so it offers only what the upstream
// supports. Input is bounded; what the client pipelined after AUTH is handed to the relay.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/line_framer.h"
#include "protocol/prelogin_dialogue.h"
#include "protocol/secret.h"
#include "protocol/smtp/command_parser.h"
#include "protocol/smtp/ehlo_capabilities.h"
#include "protocol/smtp/limits.h"

namespace mb::protocol::smtp {

class SmtpPreLoginDialogue final : public PreLoginDialogue {
  public:
    struct Options {
        std::string domain = "localhost";  // this host's name, in the greeting and EHLO answers
        bool starttls_offered = false;     // the listener offers STARTTLS (TLS not yet active)
        std::size_t max_input = 4 * limits::kMaxAuthLine;  // unprocessed bytes before closing
    };
    using Action = PreLoginAction;
    enum class UpstreamOffer { unknown, known, unavailable };

    explicit SmtpPreLoginDialogue(Options options);

    std::string greeting() const override;
    void feed(std::string_view bytes) override;
    // The upstream's extensions (nullopt: it cannot be reached, so the bridge offers its own).
    // Returns true when an EHLO waits for them: call resume() (from a later loop turn when this
    // runs inside the upstream's callback) to answer it and go on with the input.
    bool upstream_offer(const std::optional<EhloCapabilities>& caps);
    void resume();
    void tls_started() override;
    // A 454 naming `reason`, then the next command.
    void tls_unavailable(std::string_view reason) override;
    // 454 (temporary) or 535 with the message; when closing, a 421 after it.
    void login_refused(const LoginRefusal& refusal) override;
    // "235 2.7.0 Authentication successful" (the upstream's 235 is not shown).
    std::string logged_in(std::string_view upstream_answer) override;
    // The bytes the client sent after its AUTH (commands for the relay).
    std::string take_pipelined() override;
    // Also during the TLS handshake (it needs reading).
    bool wants_input() const override;
    bool waiting_for_upstream() const { return waiting_for_upstream_; }

  private:
    enum class State {
        command,
        auth_plain,           // waiting for the PLAIN response after "334 "
        auth_login_user,      // waiting for the LOGIN user name
        auth_login_password,  // waiting for the LOGIN password
        logging_in,
        tls_handshake,
        done,  // logged in or closed
    };

    void process();
    bool processing() const;
    void handle_line(std::string_view line);
    void dispatch(std::string_view line);
    void on_auth_command(const AuthArguments& args);
    void on_plain_response(std::string_view line);
    void on_login_user(std::string_view line);
    void on_login_password(std::string_view line);
    void begin_login(std::string user, Secret password);
    void close(std::string goodbye);
    bool can_starttls() const { return options_.starttls_offered && !tls_active_; }
    std::string ehlo_answer() const;
    static LineFramer make_framer();

    Options options_;
    State state_ = State::command;
    LineFramer framer_;
    std::string input_;                  // received, not yet processed
    bool waiting_for_upstream_ = false;  // an EHLO waits for the upstream's extensions
    bool tls_active_ = false;
    UpstreamOffer upstream_offer_ = UpstreamOffer::unknown;
    EhloCapabilities upstream_capabilities_;
    std::string login_user_;  // AUTH LOGIN: the user name, until the password comes
};

}  // namespace mb::protocol::smtp
