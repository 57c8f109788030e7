// UpstreamConversation: the part every upstream client role shares (IMAP, POP3, SMTP): dial
// (TCP + implicit TLS, or plain for STARTTLS), read CRLF lines, upgrade to TLS mid-stream, bound
// the preparation and each authentication by connect_timeout, fail with an UpstreamError, and
// hand the authenticated stream over. Subclasses speak the protocol in on_line(). Owned by a
// session through UpstreamClient; destroying it cancels everything and no callback runs afterwards.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/config/config_model.h"
#include "bridge/net/byte_stream.h"
#include "bridge/net/upstream_dialer.h"
#include "bridge/net/uv_timer.h"
#include "bridge/session/upstream_failure.h"
#include "protocol/line_framer.h"
#include "protocol/result.h"
#include "protocol/sasl/auth_command.h"
#include "protocol/sasl/bearer.h"
#include "protocol/sasl/client_exchange.h"
#include "protocol/secret.h"

namespace mb::session {

struct UpstreamError {
    UpstreamFailure failure = UpstreamFailure::protocol;
    std::string message;        // what failed, for the client and the log
    std::string response_code;  // the upstream's own code on a refusal (IMAP [CODE], SMTP 5.7.8)
};

// The interface sessions use: prepare early, authenticate on login, take the stream.
class UpstreamClient {
  public:
    using PreparedHandler = std::function<void(const std::optional<UpstreamError>&)>;
    // On success: the upstream's final answer to the authentication (CRLF included).
    using AuthHandler =
        std::function<void(Result<std::string> ok_line, const UpstreamError& error)>;

    virtual ~UpstreamClient() = default;
    virtual void prepare(PreparedHandler done) = 0;
    virtual bool ready() const = 0;
    virtual bool preparing() const = 0;
    // The account's `sasl` setting, for a connection prepared before the account was known.
    virtual void use_sasl(config::SaslMechanism setting) = 0;
    // Requires ready(). After a refusal the connection stays usable for another try.
    virtual void authenticate(const std::string& user, const Secret& token, AuthHandler done) = 0;
    // [[account]] auth = "password": SASL PLAIN, or the protocol's own login where the server
    // offers no PLAIN (IMAP LOGIN, POP3 USER/PASS). Requires ready(), which implies verified TLS.
    virtual void authenticate_password(const std::string& user, const Secret& password,
                                       AuthHandler done) = 0;
    // How the last authentication was made ("OAUTHBEARER", "XOAUTH2", "PLAIN", "LOGIN", "USER").
    virtual std::string auth_method() const = 0;
    // After a successful authenticate(): the stream (not reading, no handlers) and the bytes the
    // upstream sent after its final answer.
    virtual std::unique_ptr<net::ByteStream> take_stream() = 0;
    virtual std::string take_leftover() = 0;
    virtual protocol::sasl::BearerMechanism mechanism() const = 0;
    virtual const net::DialTimings& timings() const = 0;
};

class UpstreamConversation : public UpstreamClient {
  public:
    struct Settings {
        net::DialTarget target;
        bool starttls = false;
        // connect_timeout: one deadline from dial() until ready (TCP, proxy, TLS, greeting,
        // STARTTLS, capabilities), then one per authentication, from its start.
        std::chrono::milliseconds timeout{10000};
    };

    UpstreamConversation(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl);
    ~UpstreamConversation() override;
    UpstreamConversation(const UpstreamConversation&) = delete;
    UpstreamConversation& operator=(const UpstreamConversation&) = delete;

    void use_sasl(config::SaslMechanism setting) override { sasl_setting_ = setting; }
    // The bearer mechanism the account's `sasl` setting picks (auto: OAUTHBEARER when offered),
    // its initial response in the protocol's authentication command; then answer_challenge().
    void authenticate(const std::string& user, const Secret& token, AuthHandler done) final;
    // SASL PLAIN where offered, else LOGIN, else the protocol's own password command.
    void authenticate_password(const std::string& user, const Secret& password,
                               AuthHandler done) final;
    std::unique_ptr<net::ByteStream> take_stream() override { return std::move(stream_); }
    std::string take_leftover() override { return std::move(leftover_); }
    const net::DialTimings& timings() const override { return dialer_.timings(); }
    protocol::sasl::BearerMechanism mechanism() const override { return mechanism_; }
    std::string auth_method() const override {
        return password_method_.empty() ? std::string(protocol::sasl::mechanism_name(mechanism_))
                                        : password_method_;
    }

  protected:
    // Connects; then on_connected() (or on_failed()).
    void dial();
    // STARTTLS was accepted: bytes after the acceptance are dropped (they could be injected in
    // clear); then on_tls_ready() (or on_failed()).
    void upgrade_tls();
    void send(std::string bytes);
    void send_secret(const Secret& bytes);
    // Waits for `phase` (named in the timeout message) until the current deadline passes.
    void arm_timer(std::string phase);
    void stop_timer();
    // The authentication succeeded: keep `rest` for the relay and stop reading.
    void hand_over(std::string_view rest);
    // Closes the connection and reports through on_failed() (once).
    void fail(UpstreamFailure failure, std::string message, std::string code = {});
    bool failed() const { return failed_; }
    bool tls_active() const { return tls_active_; }
    std::string where() const;
    uv_loop_t* loop() const { return loop_; }
    const Settings& settings() const { return settings_; }

    // The SASL mechanisms the upstream offers (valid once ready).
    struct SaslOffer {
        bool oauthbearer = false;
        bool plain = false;
        bool login = false;
    };
    virtual SaslOffer sasl_offer() const = 0;
    // Sends the protocol's authentication command for `mechanism` (and enters its authenticating
    // state) with `initial` when there is one; returns the initial response when the command
    // could not carry it (it then goes after the server's first challenge).
    virtual std::optional<Secret> send_auth_command(std::string_view mechanism,
                                                    std::optional<Secret> initial) = 0;
    // Before STARTTLS (STLS): true when the server offers it (`offered`); otherwise fails the
    // conversation — credentials never go in clear — naming `verb` and the TLS port to use.
    bool require_starttls(bool offered, std::string_view verb, std::string_view tls_port_hint = {});
    // Sends a POP3/SMTP "AUTH …" line (traced without its credentials); returns the response it
    // deferred.
    std::optional<Secret> send_auth(protocol::sasl::AuthCommand command);
    // A password login on a server offering neither PLAIN nor LOGIN: the protocol's own command
    // (IMAP LOGIN, POP3 USER/PASS). Returns false after fail(). By default the server takes no
    // password the bridge can send.
    virtual bool send_password_login(const std::string& user, const Secret& password);
    // During the authentication the server sent a challenge (its base64 payload): sends the
    // owed response, the bearer error answer (so the failure reply follows), or a cancel.
    void answer_challenge(std::string_view challenge);

    // Completion, one per step: the handler given to prepare() / authenticate() runs once.
    // expect_authenticated() also starts the authentication's own deadline, so the time the
    // prepared upstream waited for the client's login is not charged to it.
    void expect_prepared(PreparedHandler done) { prepared_ = std::move(done); }
    void expect_authenticated(AuthHandler done) {
        auth_done_ = std::move(done);
        start_deadline("the authentication");
    }
    // A password authentication is under way with `method` (auth_method() reports it).
    void set_password_method(std::string method) { password_method_ = std::move(method); }
    void report_ready();
    // The upstream accepted the authentication with `answer` (its line, CRLF included).
    void report_authenticated(std::string answer, std::string_view rest);
    // The upstream refused; the connection stays usable for another try.
    void report_refused(UpstreamError error);

    virtual void on_connected() = 0;
    virtual void on_tls_ready() = 0;
    // One line from the upstream; `rest` is what followed it in the same read.
    virtual void on_line(std::string_view line, std::string_view raw, std::string_view rest) = 0;
    // After fail(): the subclass notes its state; a handler given through expect_prepared() or
    // expect_authenticated() is then told by the base.
    virtual void on_failed(const UpstreamError& error) = 0;

  private:
    void adopt(std::unique_ptr<net::ByteStream> stream);
    void on_data(std::string_view bytes);
    // A fresh connect_timeout budget from now; `what` it covers is named in timeout messages.
    void start_deadline(std::string what);
    std::chrono::milliseconds time_left() const;
    Result<Secret> bearer_response(bool offers_oauthbearer, const std::string& user,
                                   const Secret& token);
    std::optional<Secret> plain_response(const std::string& user, const Secret& password);

    uv_loop_t* loop_;
    Settings settings_;
    net::UpstreamDialer dialer_;
    std::unique_ptr<net::ByteStream> stream_;
    protocol::LineFramer framer_;
    net::UvTimer timer_;
    std::string phase_;
    std::chrono::steady_clock::time_point deadline_{};
    std::string deadline_covers_;
    std::string leftover_;
    PreparedHandler prepared_;
    AuthHandler auth_done_;
    config::SaslMechanism sasl_setting_;
    protocol::sasl::BearerMechanism mechanism_ = protocol::sasl::BearerMechanism::Xoauth2;
    protocol::sasl::SaslClientExchange exchange_;
    std::string password_method_;  // non-empty while/after a password authentication
    bool handed_over_ = false;
    bool failed_ = false;
    bool tls_active_ = false;
    bool upgrading_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mb::session
