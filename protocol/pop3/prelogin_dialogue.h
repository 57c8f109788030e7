// Pop3PreLoginDialogue: the bridge's own side of a local POP3 session in the AUTHORIZATION state,
// without I/O: greeting, CAPA, NOOP, QUIT, STLS, USER/PASS and AUTH PLAIN; on a STARTTLS
// listener no credentials are taken before TLS. Input is bounded; lines are framed with bare LF
// accepted as a line end (as POP3 clients send it).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/line_framer.h"
#include "protocol/pop3/limits.h"
#include "protocol/prelogin_dialogue.h"

namespace mb::protocol::pop3 {

class Pop3PreLoginDialogue final : public PreLoginDialogue {
  public:
    struct Options {
        bool starttls_offered = false;  // the listener offers STLS (TLS not yet active)
        std::size_t max_input = 4 * limits::kMaxAuthLine;  // unprocessed bytes before closing
    };

    explicit Pop3PreLoginDialogue(Options options);

    std::string greeting() const override;
    void feed(std::string_view bytes) override;
    void tls_started() override;
    // The connection closes with -ERR [SYS/TEMP] naming `reason`.
    void tls_unavailable(std::string_view reason) override;
    // -ERR [SYS/TEMP] (temporary) or -ERR [AUTH] with the message; when closing, nothing more.
    void login_refused(const LoginRefusal& refusal) override;
    // The upstream's +OK, as it said it.
    std::string logged_in(std::string_view upstream_answer) override;
    std::string take_pipelined() override;
    bool wants_input() const override;

  private:
    enum class State { authorization, sasl_response, logging_in, tls_handshake, done };

    void process();
    void dispatch(std::string_view line);
    void on_sasl_response(std::string_view line);
    void begin_login(std::string user, Secret password);
    void close(std::string goodbye);
    bool can_starttls() const { return options_.starttls_offered && !tls_active_; }
    static LineFramer make_framer();

    Options options_;
    State state_ = State::authorization;
    LineFramer framer_;
    std::string input_;
    std::optional<std::string> user_;  // USER given, PASS awaited
    bool tls_active_ = false;
};

}  // namespace mb::protocol::pop3
