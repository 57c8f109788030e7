// UpstreamLogin: the login sequence every client session runs, whatever its protocol: find the
// account, check the local password, get a token, authenticate upstream (retrying once with a
// fresh token when the upstream rejects it; auth = "password" accounts send the upstream password
// instead, without a retry), record the result in metrics and readiness. The
// upstream is prepared as soon as the client connects. Sessions only turn the outcome into their
// protocol's reply. Owned by one session; destroying it cancels everything silently.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/health/metric_labels.h"
#include "bridge/oauth/token_manager.h"
#include "bridge/session/local_password_checker.h"
#include "bridge/session/login_guard.h"
#include "bridge/session/session_services.h"
#include "bridge/session/upstream_backoff.h"
#include "bridge/session/upstream_conversation.h"

namespace mb::session {

struct LoginSuccess {
    const config::AccountSettings* account = nullptr;
    std::string login;
    std::string final_answer;  // the upstream's success line (CRLF included)
    std::unique_ptr<net::ByteStream> upstream;
    std::string leftover;  // upstream bytes after final_answer
};

struct LoginFailure {
    health::LoginResult result = health::LoginResult::local_rejected;
    bool temporary = false;         // worth retrying later (token endpoint, network, upstream down)
    bool close_connection = false;  // too many failed logins on this connection: say goodbye
    std::string upstream_code;      // the upstream's response code on a refusal, if any
    std::string message;            // "alice: upstream rejected the OAuth2 token (…)"
};

class UpstreamLogin {
  public:
    // Makes the protocol's upstream client; `account` is null when preparing before the login.
    using UpstreamFactory =
        std::function<std::unique_ptr<UpstreamClient>(const config::AccountSettings* account)>;
    using Done = std::function<void(std::optional<LoginSuccess>, const LoginFailure&)>;

    UpstreamLogin(std::shared_ptr<const SessionServices> services, std::string peer,
                  UpstreamFactory factory);
    ~UpstreamLogin();
    UpstreamLogin(const UpstreamLogin&) = delete;
    UpstreamLogin& operator=(const UpstreamLogin&) = delete;

    // Opens the upstream connection early (called when the client connects). False when it is
    // left for after the password check (the route backs off, or the early-dial caps are reached).
    bool prepare();
    // Runs the sequence; `done` runs once unless cancelled (at once for an unknown login, from a
    // loop callback otherwise). It may start another login from inside `done`.
    void login(std::string user, Secret password, Done done);
    void cancel();
    bool in_progress() const { return static_cast<bool>(done_); }

  private:
    void on_password_checked(Result<bool> verdict);
    void request_credentials();  // the OAuth2 token, or the upstream password
    void request_token();
    void on_token(const Result<oauth::AccessToken>& token);
    void resolve_upstream_password();
    void credentials_ready();
    bool have_credentials() const { return token_.has_value() || upstream_password_.has_value(); }
    bool password_account() const {
        return account_ && account_->auth == config::AccountAuth::password;
    }
    void ensure_upstream();
    void on_upstream_prepared(const std::optional<UpstreamError>& error);
    void record_proxy(const std::optional<UpstreamError>& error);
    void authenticate();
    void on_upstream_auth(Result<std::string> answer, const UpstreamError& error);
    // `message` reaches the client and the log; `log_detail` (file paths, command output) only
    // the log.
    void fail(health::LoginResult result, bool temporary, std::string message,
              std::string upstream_code = {}, std::string log_detail = {});
    // A local refusal (unknown login, wrong password, blocked): counted for this connection and,
    // unless `blocked`, by the LoginGuard.
    void fail_locally(std::string message, bool blocked);
    // What the LoginGuard counts failures against besides the address: the login, or the account
    // when one shared local password decides for every login of a "*@domain" pattern.
    std::string guarded_login() const;
    void succeed(std::string answer);
    std::string upstream_name() const;  // "host:port" of the listener's upstream
    // The listener's [[proxy]] name unless its no_proxy lets this upstream bypass it; "" = direct.
    std::string route_proxy() const;
    UpstreamBackoff::Route route() const;  // this login's backoff key; needs account_
    std::string route_text() const;        // "upstream host:port[ through proxy NAME]"

    std::shared_ptr<const SessionServices> services_;
    std::string peer_;
    std::string address_;  // peer_ without its port: what the LoginGuard counts
    UpstreamFactory factory_;
    std::unique_ptr<UpstreamClient> upstream_;
    const config::AccountSettings* account_ = nullptr;
    std::string user_;
    Secret password_;
    std::optional<oauth::AccessToken> token_;
    std::optional<Secret> upstream_password_;  // auth = "password" accounts
    unsigned attempt_ = 0;                     // login() count: late secret answers are ignored
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool retried_ = false;
    bool backing_off_ = false;
    int local_failures_ = 0;                                // on this connection
    std::unique_ptr<LoginGuard::DialTicket> early_dial_;    // the early upstream's place in the cap
    std::unique_ptr<LoginGuard::CheckTicket> checking_;     // a password check is under way
    std::optional<UpstreamError> early_error_;              // the pre-login dial failed …
    std::chrono::steady_clock::time_point early_error_at_;  // … at this time
    std::chrono::steady_clock::time_point started_;
    Done done_;
    oauth::TokenWait token_wait_;
    LocalPasswordChecker::Check password_check_;
};

}  // namespace mb::session
