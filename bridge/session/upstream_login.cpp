// The login sequence of UpstreamLogin: account → local password → token → upstream SASL.
#include "bridge/session/upstream_login.h"

#include <spdlog/spdlog.h>

namespace mb::session {
using health::LoginResult;

UpstreamLogin::~UpstreamLogin() = default;

UpstreamLogin::UpstreamLogin(std::shared_ptr<const SessionServices> services, std::string peer,
                             UpstreamFactory factory)
    : services_(std::move(services)), peer_(std::move(peer)), factory_(std::move(factory)) {}

void UpstreamLogin::cancel() {
    done_ = nullptr;
    token_wait_.cancel();
    password_check_.reset();
    upstream_.reset();
}

void UpstreamLogin::prepare() {
    ensure_upstream();
}

void UpstreamLogin::login(std::string user, Secret password, Done done) {
    done_ = std::move(done);
    user_ = std::move(user);
    password_ = std::move(password);
    retried_ = false;
    token_.reset();
    started_ = std::chrono::steady_clock::now();
    account_ = services_->directory->find(user_);
    if (!account_) {
        fail(LoginResult::local_rejected, false, "no [[account]] matches login " + user_);
        return;
    }
    password_check_ = services_->passwords->check(
        *account_, user_, password_,
        [this](Result<bool> verdict) { on_password_checked(std::move(verdict)); });
}

void UpstreamLogin::on_password_checked(Result<bool> verdict) {
    password_check_.reset();
    password_ = Secret();
    if (!verdict) {
        fail(LoginResult::local_rejected, true, account_->name + ": " + verdict.error().message);
        return;
    }
    if (!*verdict) {
        fail(LoginResult::local_rejected, false,
             account_->name + ": wrong local password for " + user_);
        return;
    }
    request_token();
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
    bool proxy_failed = error && error->failure == UpstreamFailure::proxy;
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
    if (!done_ || !token_) return;  // the login picks it up (or redials) when it gets there
    if (error) {
        fail(LoginResult::upstream_unreachable, true, account_->name + ": " + error->message);
        return;
    }
    authenticate();
}

void UpstreamLogin::authenticate() {
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
    if (error.failure == UpstreamFailure::auth_rejected && !retried_ && upstream_->ready()) {
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

void UpstreamLogin::fail(LoginResult result, bool temporary, std::string message,
                         std::string upstream_code) {
    spdlog::warn("{} {} login {} failed: {}", services_->server->name, peer_, user_, message);
    services_->metrics->login(services_->server->name, result);
    if (account_ && services_->on_login) services_->on_login(account_->name, result, message);
    if (upstream_ && !upstream_->ready() && !upstream_->preparing()) upstream_.reset();
    token_.reset();
    LoginFailure failure{result, temporary, std::move(upstream_code), std::move(message)};
    auto done = std::move(done_);
    done_ = nullptr;
    if (!done) return;
    done(std::nullopt, failure);
}

void UpstreamLogin::succeed(std::string answer) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    services_->metrics->login(services_->server->name, LoginResult::ok);
    services_->metrics->connect_latency(services_->server->name, seconds);
    if (services_->on_login) services_->on_login(account_->name, LoginResult::ok, "");
    spdlog::info("{} {} login {} (account {}) ok via {} in {:.1f} ms", services_->server->name,
                 peer_, user_, account_->name,
                 protocol::sasl::mechanism_name(upstream_->mechanism()), seconds * 1000);
    LoginSuccess success;
    success.account = account_;
    success.login = user_;
    success.final_answer = std::move(answer);
    success.leftover = upstream_->take_leftover();
    success.upstream = upstream_->take_stream();
    upstream_.reset();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(success), {});
}

}  // namespace mb::session
