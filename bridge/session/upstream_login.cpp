// The login sequence of UpstreamLogin: account → local password → token → upstream SASL.
#include "bridge/session/upstream_login.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "bridge/health/metrics.h"
#include "bridge/session/account_directory.h"
#include "protocol/http/no_proxy.h"
#include "protocol/printable_text.h"
#include "protocol/throttle_hint.h"

namespace mb::session {
using health::LoginResult;

namespace {
// Failed logins a connection may make; the last one's answer is followed by the goodbye.
constexpr int kMaxFailedLoginsPerConnection = 3;
}  // namespace

UpstreamLogin::~UpstreamLogin() = default;

UpstreamLogin::UpstreamLogin(std::shared_ptr<const SessionServices> services, std::string peer,
                             UpstreamFactory factory)
    : services_(std::move(services)),
      peer_(std::move(peer)),
      address_(LoginGuard::address_of(peer_)),
      factory_(std::move(factory)) {}

void UpstreamLogin::cancel() {
    done_ = nullptr;
    token_wait_.cancel();
    password_check_.reset();
    checking_.reset();
    upstream_.reset();
    early_dial_.reset();
}

bool UpstreamLogin::prepare() {
    // A struggling route is not dialled before a login even knows its account.
    if (services_->backoff && services_->backoff->route_blocked(upstream_name(), route_proxy(),
                                                                std::chrono::steady_clock::now()))
        return false;
    // Unauthenticated clients may not turn into a flood of upstream handshakes: past the caps
    // (or after wrong passwords from this address) the upstream is dialled after the password.
    if (services_->guard) {
        early_dial_ = services_->guard->early_dial(address_, std::chrono::steady_clock::now());
        if (!early_dial_) {
            services_->metrics->login_refusal(services_->server->name, "early_dial_capped");
            return false;
        }
    }
    ensure_upstream();
    return true;
}

std::string UpstreamLogin::upstream_name() const {
    return services_->server->upstream.to_string();
}

std::string UpstreamLogin::route_proxy() const {
    const auto& proxy = services_->proxy;
    if (!proxy || protocol::http::bypasses_proxy(services_->server->upstream.host, proxy->no_proxy))
        return "";
    return proxy->name;
}

UpstreamBackoff::Route UpstreamLogin::route() const {
    return {account_->name, upstream_name(), route_proxy()};
}

std::string UpstreamLogin::route_text() const {
    const std::string proxy = route_proxy();
    return "upstream " + upstream_name() + (proxy.empty() ? "" : " through proxy " + proxy);
}

void UpstreamLogin::login(std::string user, Secret password, Done done) {
    done_ = std::move(done);
    user_ = std::move(user);
    password_ = std::move(password);
    retried_ = false;
    token_.reset();
    upstream_password_.reset();
    ++attempt_;
    started_ = std::chrono::steady_clock::now();
    account_ = services_->directory->find(user_);
    if (services_->guard) {
        if (auto refusal = services_->guard->blocked(address_, guarded_login(), started_)) {
            const auto seconds = (refusal->remaining.count() + 999) / 1000;
            services_->metrics->login_refusal(
                services_->server->name, refusal->by_address ? "blocked_address" : "blocked_login");
            fail_locally("too many failed logins " +
                             (refusal->by_address ? "from " + address_ : "for " + user_) +
                             "; try again in " + std::to_string(seconds) + " s",
                         true);
            return;
        }
    }
    if (!account_) {
        fail_locally("no [[account]] matches login " + user_, false);
        return;
    }
    if (services_->guard) checking_ = services_->guard->start_check(address_);
    password_check_ = services_->passwords->check(
        *account_, user_, password_,
        [this](Result<bool> verdict) { on_password_checked(std::move(verdict)); });
}

void UpstreamLogin::on_password_checked(Result<bool> verdict) {
    password_check_.reset();
    checking_.reset();
    password_ = Secret();
    if (!verdict) {
        fail(LoginResult::local_rejected, true,
             account_->name +
                 ": the local password cannot be checked now (the bridge's log says "
                 "why)",
             {}, verdict.error().message);
        return;
    }
    if (!*verdict) {
        fail_locally(account_->name + ": wrong local password for " + user_, false);
        return;
    }
    if (services_->guard) services_->guard->succeeded(guarded_login());
    if (services_->backoff) {
        if (auto blocked = services_->backoff->blocked(route(), std::chrono::steady_clock::now())) {
            const auto seconds = (blocked->remaining.count() + 999) / 1000;
            backing_off_ = true;
            fail(LoginResult::upstream_unreachable, true,
                 account_->name + ": " + route_text() + " is backing off after " +
                     std::to_string(blocked->failures) + " failed attempt(s) (last: " +
                     blocked->last_error + "); next attempt in " + std::to_string(seconds) + " s");
            return;
        }
    }
    request_credentials();
}

void UpstreamLogin::request_credentials() {
    if (password_account()) {
        resolve_upstream_password();
        return;
    }
    request_token();
}

// The secret may be a file or a command: resolved on the threadpool (and kept by the cache).
void UpstreamLogin::resolve_upstream_password() {
    if (!services_->secrets) {
        fail(LoginResult::token_unavailable, true,
             account_->name + ": upstream passwords are not available in this process");
        return;
    }
    std::weak_ptr<bool> alive = alive_;
    const unsigned attempt = attempt_;
    // The cache re-reads the secret when a reload changed its source.
    services_->secrets->resolve(
        "upstream_password of account " + account_->name, account_->upstream_password,
        [this, alive, attempt](const Result<Secret>& password) {
            if (alive.expired() || !done_ || attempt != attempt_) return;
            if (!password) {
                fail(LoginResult::token_unavailable, true,
                     account_->name + ": cannot read upstream_password (the bridge's log says why)",
                     {}, password.error().message);
                return;
            }
            upstream_password_ = *password;
            credentials_ready();
        });
}

void UpstreamLogin::request_token() {
    token_wait_ = services_->tokens->get_token(
        account_->name, user_, [this](const Result<oauth::AccessToken>& token) { on_token(token); },
        services_->server->proxy);
}

void UpstreamLogin::on_token(const Result<oauth::AccessToken>& token) {
    if (!token) {
        fail(LoginResult::token_unavailable, true,
             account_->name + ": cannot get an OAuth2 token: " + token.error().message);
        return;
    }
    token_ = *token;
    credentials_ready();
}

void UpstreamLogin::credentials_ready() {
    if (early_error_ &&
        std::chrono::steady_clock::now() - early_error_at_ > std::chrono::seconds(5))
        early_error_.reset();  // long ago: dial again
    if (early_error_) {
        // The dial made when the client connected failed moments ago: that is this login's
        // answer (dialling again would hit a struggling upstream twice per login).
        const std::string message = std::move(early_error_->message);
        early_error_.reset();
        upstream_.reset();
        fail(LoginResult::upstream_unreachable, true, account_->name + ": " + message);
        return;
    }
    if (upstream_ && upstream_->ready()) {
        authenticate();
        return;
    }
    if (upstream_ && upstream_->preparing()) return;  // on_upstream_prepared continues
    ensure_upstream();
}

void UpstreamLogin::ensure_upstream() {
    if (upstream_ && (upstream_->ready() || upstream_->preparing())) return;
    upstream_ = factory_(account_);
    upstream_->prepare(
        [this](const std::optional<UpstreamError>& error) { on_upstream_prepared(error); });
}

void UpstreamLogin::record_proxy(const std::optional<UpstreamError>& error) {
    if (!services_->proxy || !upstream_) return;
    const auto& timings = upstream_->timings();
    bool proxy_failed = error && is_proxy_failure(error->failure);
    if (timings.proxy.empty() && !proxy_failed) return;  // direct (no_proxy) or never got there
    bool ok = timings.proxy_tunnel.has_value() && !proxy_failed;
    std::optional<double> latency;
    if (ok) latency = static_cast<double>(timings.proxy_tunnel->count());
    services_->metrics->proxy_connect(
        services_->proxy->name, ok,
        latency ? std::optional<double>(*latency / 1000) : std::nullopt);
    if (services_->on_proxy)
        services_->on_proxy(services_->proxy->name, ok, latency, ok ? "" : error->message);
}

void UpstreamLogin::on_upstream_prepared(const std::optional<UpstreamError>& error) {
    record_proxy(error);
    if (!done_ || !have_credentials()) {  // the login picks it up when it gets there
        if (error) {
            early_error_ = *error;
            early_error_at_ = std::chrono::steady_clock::now();
        }
        return;
    }
    if (error) {
        fail(LoginResult::upstream_unreachable, true, account_->name + ": " + error->message);
        return;
    }
    authenticate();
}

void UpstreamLogin::authenticate() {
    if (password_account()) {
        upstream_->authenticate_password(
            AccountDirectory::upstream_identity(*account_, user_), *upstream_password_,
            [this](Result<std::string> answer, const UpstreamError& error) {
                on_upstream_auth(std::move(answer), error);
            });
        return;
    }
    // The connection may have been dialled before the login named its account.
    upstream_->use_sasl(account_->sasl);
    upstream_->authenticate(AccountDirectory::upstream_identity(*account_, user_), token_->value,
                            [this](Result<std::string> answer, const UpstreamError& error) {
                                on_upstream_auth(std::move(answer), error);
                            });
}

void UpstreamLogin::on_upstream_auth(Result<std::string> answer, const UpstreamError& error) {
    if (answer) {
        succeed(std::move(answer.value()));
        return;
    }
    if (error.failure == UpstreamFailure::auth_rejected && password_account()) {
        // The upstream's own words, after the account name: a new token cannot help here.
        fail(LoginResult::upstream_rejected, false, account_->name + ": " + error.message,
             error.response_code);
        return;
    }
    // A refusal that says how long to wait (Microsoft 365's throttling) is not retried with a
    // fresh token: the server asked for a pause, and a retry would only add to its load.
    if (error.failure == UpstreamFailure::auth_rejected && !retried_ && upstream_->ready() &&
        !protocol::suggested_backoff(error.message)) {
        // Perhaps revoked or expired early: fetch a fresh token once and try again.
        retried_ = true;
        services_->tokens->invalidate(account_->name, user_, token_->value);
        token_.reset();
        request_token();
        return;
    }
    if (error.failure == UpstreamFailure::auth_rejected) {
        fail(LoginResult::upstream_rejected, false,
             account_->name + ": upstream rejected the OAuth2 token (" + error.message + ")",
             error.response_code);
        return;
    }
    if (!upstream_->ready() && !upstream_->preparing()) upstream_.reset();
    fail(LoginResult::upstream_unreachable, true, account_->name + ": " + error.message);
}

std::string UpstreamLogin::guarded_login() const {
    if (account_ && account_->login.starts_with("*@") && account_->local_passwords.empty())
        return "account " + account_->name;
    return user_;
}

void UpstreamLogin::fail_locally(std::string message, bool blocked) {
    if (services_->guard && !blocked)
        services_->guard->failed(address_, guarded_login(), std::chrono::steady_clock::now());
    // No upstream work for a client that has not proven who it is.
    upstream_.reset();
    early_dial_.reset();
    fail(LoginResult::local_rejected, false, std::move(message));
}

void UpstreamLogin::fail(LoginResult result, bool temporary, std::string message,
                         std::string upstream_code, std::string log_detail) {
    if (log_detail.empty())
        spdlog::warn("{} {} login {} failed: {}", services_->server->name, peer_,
                     protocol::printable(user_), protocol::printable(message));
    else
        spdlog::warn("{} {} login {} failed: {}: {}", services_->server->name, peer_,
                     protocol::printable(user_), protocol::printable(message),
                     protocol::printable(log_detail));
    const bool struggling =
        result == LoginResult::upstream_unreachable ||
        (result == LoginResult::upstream_rejected && is_throttling_answer(upstream_code, message));
    if (services_->backoff && account_ && struggling && !std::exchange(backing_off_, false)) {
        // The server's own "Suggested Backoff Time" (Microsoft 365) is the least delay.
        const auto suggested =
            protocol::suggested_backoff(message).value_or(UpstreamBackoff::Millis(0));
        const auto delay = services_->backoff->failure(route(), message,
                                                       std::chrono::steady_clock::now(), suggested);
        if (result == LoginResult::upstream_rejected) temporary = true;
        const auto retry_at = std::chrono::system_clock::now() + delay;
        services_->metrics->upstream_backoff(
            account_->name, upstream_name(), route_proxy(), services_->backoff->failures(route()),
            std::chrono::duration<double>(retry_at.time_since_epoch()).count());
        spdlog::info("{}: logins of {} back off for {:.1f} s", services_->server->name,
                     route().describe(), static_cast<double>(delay.count()) / 1000);
        message += "; further logins wait " + std::to_string((delay.count() + 999) / 1000) + " s";
    }
    backing_off_ = false;
    services_->metrics->login(services_->server->name, result);
    if (account_ && services_->on_login) services_->on_login(account_->name, result, message);
    if (upstream_ && !upstream_->ready() && !upstream_->preparing()) upstream_.reset();
    token_.reset();
    upstream_password_.reset();
    LoginFailure failure{result, temporary, false, std::move(upstream_code), std::move(message)};
    if (result == LoginResult::local_rejected && !temporary &&
        ++local_failures_ >= kMaxFailedLoginsPerConnection) {
        failure.close_connection = true;
        services_->metrics->login_refusal(services_->server->name, "connection_closed");
    }
    auto done = std::move(done_);
    done_ = nullptr;
    if (!done) return;
    done(std::nullopt, failure);
}

void UpstreamLogin::succeed(std::string answer) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    services_->metrics->login(services_->server->name, LoginResult::ok);
    if (services_->backoff && services_->backoff->success(route()))
        services_->metrics->upstream_backoff(account_->name, upstream_name(), route_proxy(), 0, 0);
    services_->metrics->connect_latency(services_->server->name, seconds);
    if (services_->on_login) services_->on_login(account_->name, LoginResult::ok, "");
    spdlog::info("{} {} login {} (account {}) ok via {} in {:.1f} ms", services_->server->name,
                 peer_, protocol::printable(user_), account_->name, upstream_->auth_method(),
                 seconds * 1000);
    LoginSuccess success;
    success.account = account_;
    success.login = user_;
    success.final_answer = std::move(answer);
    success.leftover = upstream_->take_leftover();
    success.upstream = upstream_->take_stream();
    upstream_.reset();
    early_dial_.reset();
    upstream_password_.reset();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(success), {});
}

}  // namespace mb::session
