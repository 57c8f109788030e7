// The TokenManager's fetch pipeline (see token_manager.h), a chain of loop callbacks:
//   acquire → [per-login flows: stored row (worker) → stored token | refresh token | needs
//   authorization] → client secret (worker; public clients have none) → proxy password (worker)
//   → endpoint (preset or discovery GET) → token POST → [save (worker)] → succeed | fail
//   (transient: retry timer → again from the secrets).
// Every result reaches waiters through TokenWaiters, so no callback ever runs inside get_token().
// A step whose entry was retired by a reload meanwhile only ends the fetch (Entry::settle).
#include <algorithm>

#include "bridge/log/log.h"
#include "bridge/oauth/account_endpoints.h"
#include "bridge/oauth/http_proxy_config.h"
#include "bridge/oauth/token_endpoint_answer.h"
#include "bridge/oauth/token_entry.h"
#include "bridge/oauth/token_manager.h"
#include "bridge/oauth/token_retry.h"
#include "protocol/oauth/discovery.h"
#include "protocol/oauth/form_encoding.h"

namespace mb::oauth {

using Clock = std::chrono::steady_clock;

// Where a token comes from. Client credentials: fetched now. Other flows: the stored row (a
// new authorization by `mailbridge auth`, or the newest refresh token), then the refresh_token
// grant, else the user must authorize first.
void TokenManager::acquire(Entry& entry) {
    entry.fetching = true;
    entry.retries = 0;
    if (entry.token) entry.token_used = false;
    if (entry.account->flow == config::Flow::client_credentials)
        fetch_with_secrets(entry);
    else if (store_)
        read_stored(entry);
    else
        redeem_or_ask(entry);
}

void TokenManager::read_stored(Entry& entry) {
    store_->read(entry.account->name, entry.login,
                 [this, &entry](Result<std::optional<store::StoredToken>> row) {
                     if (entry.retired) return entry.settle();
                     if (!row) {
                         fail(entry, "token store: " + row.error().message,
                              RefreshResult::permanent_error);
                         return;
                     }
                     if (const auto& stored = *row) {
                         entry.refresh_token = stored->refresh_token;
                         if (!entry.token || !(entry.token->value == stored->access_token)) {
                             install(entry, *stored);
                             if (entry.usable(Clock::now())) {
                                 spdlog::info("oauth: account {} login {}: using the stored token",
                                              entry.account->name, entry.login);
                                 entry.fetching = false;
                                 entry.needs_authorization = false;
                                 entry.last_error.clear();
                                 entry.hold_until.reset();
                                 entry.token_used = entry.token_used || !entry.waiters.empty();
                                 finish_waiters(entry, *entry.token);
                                 return;
                             }
                         }
                     }
                     redeem_or_ask(entry);
                 });
}

void TokenManager::redeem_or_ask(Entry& entry) {
    if (entry.refresh_token.empty()) {
        require_authorization(entry);
        return;
    }
    fetch_with_secrets(entry);
}

void TokenManager::require_authorization(Entry& entry) {
    const auto& account = *entry.account;
    std::string command = "mailbridge auth " + account.name;
    if (!entry.login.empty() && entry.login != account.login) command += " --login " + entry.login;
    entry.fetching = false;
    entry.needs_authorization = true;
    entry.last_error = "authorization required — run " + command;
    finish_waiters(entry, make_error(entry.last_error));
}

// The refresh token is dead (revoked, expired, reused): forget it here and in the store, so only
// a new `mailbridge auth` helps. Other logins keep their tokens.
void TokenManager::refused_refresh(Entry& entry, const std::string& message) {
    spdlog::warn("oauth: {}", entry.with_account("login " + entry.login + ": " + message));
    Secret used = entry.refresh_in_use;
    entry.refresh_token = Secret();
    if (entry.token) log::forget_secret(entry.token->value.reveal());
    entry.token.reset();
    ++entry.refreshes[static_cast<int>(RefreshResult::permanent_error)];
    require_authorization(entry);
    if (store_) store_->record_refusal(entry.account->name, entry.login, used, entry.last_error);
    if (observer_) observer_(entry.account->name, RefreshResult::permanent_error);
}

void TokenManager::fetch_with_secrets(Entry& entry) {
    const auto& account = *entry.account;
    const bool per_login = account.flow != config::Flow::client_credentials;
    if (account.client_secret.empty() && !per_login) {
        fail(entry, "account " + account.name + ": the client_credentials flow needs client_secret",
             RefreshResult::permanent_error);
        return;
    }
    const std::string& proxy_name = account.proxy.empty() ? entry.server_proxy : account.proxy;
    const config::ProxySettings* proxy = nullptr;
    if (!proxy_name.empty()) {
        auto found = std::find_if(options_.proxies.begin(), options_.proxies.end(),
                                  [&](const auto& p) { return p.name == proxy_name; });
        if (found == options_.proxies.end()) {
            fail(entry,
                 "account " + account.name + ": proxy \"" + proxy_name +
                     "\" is not configured — add a [[proxy]] with that name",
                 RefreshResult::permanent_error);
            return;
        }
        proxy = &*found;
    }
    if (account.client_secret.empty()) {  // a public client (PKCE or device flow)
        entry.client_secret = Secret();
        fetch_with_proxy(entry, proxy);
        return;
    }
    secrets_.resolve("client_secret of account " + account.name, account.client_secret,
                     [this, &entry, proxy](const Result<Secret>& secret) {
                         if (entry.retired) return entry.settle();
                         if (!secret) {
                             // The reason may name files or quote a command: the log keeps it,
                             // clients get the fact.
                             spdlog::error("account {}: cannot read client_secret: {}",
                                           entry.account->name, secret.error().message);
                             fail(entry,
                                  "account " + entry.account->name +
                                      ": cannot read client_secret (the bridge's log says why)",
                                  RefreshResult::permanent_error);
                             return;
                         }
                         entry.client_secret = secret.value();
                         fetch_with_proxy(entry, proxy);
                     });
}

void TokenManager::fetch_with_proxy(Entry& entry, const config::ProxySettings* proxy) {
    if (!proxy) {
        fetch_endpoint(entry, std::nullopt);
        return;
    }
    secrets_.resolve(
        "password of proxy " + proxy->name, proxy->password,
        [this, &entry, proxy](const Result<Secret>& password) {
            if (entry.retired) return entry.settle();
            if (!password) {
                spdlog::error("proxy {}: cannot read password: {}", proxy->name,
                              password.error().message);
                fail(entry,
                     "proxy " + proxy->name + ": cannot read password (the bridge's log says why)",
                     RefreshResult::permanent_error);
                return;
            }
            fetch_endpoint(entry, http_proxy_for(*proxy, password.value()));
        });
}

HttpRequest TokenManager::base_request(std::string url,
                                       const std::optional<HttpProxy>& proxy) const {
    HttpRequest request;
    request.url = std::move(url);
    request.connect_timeout = options_.connect_timeout;
    request.total_timeout = options_.request_timeout;
    request.proxy = proxy;
    request.ca_file = options_.ca_file;
    return request;
}

void TokenManager::fetch_endpoint(Entry& entry, const std::optional<HttpProxy>& proxy) {
    auto plan = plan_token_endpoint(*entry.account);
    if (!plan) {
        fail(entry, plan.error().message, RefreshResult::permanent_error);
        return;
    }
    if (!plan->token_endpoint.empty()) {
        post_token_request(entry, plan->token_endpoint, proxy);
        return;
    }
    if (auto found = discovered_.find(entry.account->name); found != discovered_.end()) {
        post_token_request(entry, found->second, proxy);
        return;
    }
    entry.call = http_.start(base_request(plan->discovery_url, proxy), [this, &entry, plan = *plan,
                                                                        proxy](HttpResult answer) {
        if (entry.retired) return entry.settle();
        const std::string what = "discovery document " + plan.discovery_url;
        if (!answer.ok()) {
            fail(entry, transport_failure_message(answer, "discovery document", plan.discovery_url),
                 answer.failure == HttpFailure::too_large || answer.failure == HttpFailure::tls ||
                         answer.failure == HttpFailure::other
                     ? RefreshResult::permanent_error
                     : RefreshResult::transient_error,
                 answer.retry_after);
            return;
        }
        if (answer.status != 200) {
            fail(entry,
                 what + " answered HTTP " + std::to_string(answer.status) + " — check issuer",
                 answer.status >= 500 || answer.status == 429 ? RefreshResult::transient_error
                                                              : RefreshResult::permanent_error,
                 answer.retry_after);
            return;
        }
        auto document = protocol::oauth::parse_discovery(answer.body, plan.issuer);
        if (!document) {
            fail(entry, what + ": " + document.error().message, RefreshResult::permanent_error);
            return;
        }
        discovered_[entry.account->name] = document->token_endpoint;
        post_token_request(entry, document->token_endpoint, proxy);
    });
}

void TokenManager::post_token_request(Entry& entry, const std::string& endpoint,
                                      const std::optional<HttpProxy>& proxy) {
    HttpRequest request = base_request(endpoint, proxy);
    request.post = true;
    if (entry.account->flow == config::Flow::client_credentials) {
        request.body = protocol::oauth::client_credentials_form(
            entry.account->client_id, entry.client_secret, scopes_for(*entry.account));
    } else {
        entry.refresh_in_use = entry.refresh_token;
        request.body = protocol::oauth::refresh_token_form(
            entry.account->client_id, entry.client_secret, entry.refresh_token);
    }
    spdlog::debug("oauth: requesting a {} token for account {} from {}",
                  flow_name(entry.account->flow), entry.account->name, endpoint);
    entry.call = http_.start(std::move(request), [this, &entry, endpoint](HttpResult answer) {
        if (entry.retired) return entry.settle();
        on_token_answer(entry, endpoint, answer);
    });
}

void TokenManager::on_token_answer(Entry& entry, const std::string& endpoint,
                                   const HttpResult& answer) {
    const bool refreshing = entry.account->flow != config::Flow::client_credentials;
    auto outcome = interpret_token_answer(
        answer, endpoint, refreshing ? "refresh_token" : flow_name(entry.account->flow));
    if (!outcome.grant && refreshing && outcome.error == "invalid_grant") {
        refused_refresh(entry, outcome.message);
        return;
    }
    if (!outcome.grant) {
        fail(entry, outcome.message,
             outcome.transient ? RefreshResult::transient_error : RefreshResult::permanent_error,
             outcome.retry_after);
        return;
    }
    auto lifetime = outcome.grant->expires_in;
    AccessToken token;
    token.value = std::move(outcome.grant->access_token);
    token.expires_at = Clock::now() + lifetime;
    token.valid_until = std::chrono::system_clock::now() + lifetime;
    if (refreshing && outcome.grant->refresh_token) {
        // The rotated-out refresh token is dead: mask only the live one (no growth per refresh).
        log::register_secret(outcome.grant->refresh_token->reveal());
        if (!entry.refresh_token.empty()) log::forget_secret(entry.refresh_token.reveal());
        entry.refresh_token = std::move(*outcome.grant->refresh_token);
    }
    persist_then_succeed(entry, std::move(token), lifetime, outcome.grant->scope.value_or(""));
}

// The new token (and a rotated refresh token) is durable before anyone uses it: a crash right
// after cannot leave the store holding a refresh token the server has already replaced.
void TokenManager::persist_then_succeed(Entry& entry, AccessToken token,
                                        std::chrono::seconds lifetime, std::string scopes) {
    if (!store_) {
        succeed(entry, std::move(token), lifetime);
        return;
    }
    store::StoredToken row;
    row.account = entry.account->name;
    row.login = entry.login;
    row.access_token = token.value;
    row.expires_at = token.valid_until;
    row.refresh_token = entry.refresh_token;
    row.scopes = std::move(scopes);
    row.obtained_at = token.valid_until - lifetime;
    store_->save(std::move(row), [this, &entry, token = std::move(token),
                                  lifetime](Result<void> saved) mutable {
        if (entry.retired) return entry.settle();
        if (!saved)
            spdlog::error("oauth: {}",
                          entry.with_account("cannot save the new token in the token store: " +
                                             saved.error().message +
                                             " — a restart will need a new authorization"));
        succeed(entry, std::move(token), lifetime);
    });
}

void TokenManager::succeed(Entry& entry, AccessToken token, std::chrono::seconds lifetime) {
    token.origin = entry.account->flow == config::Flow::client_credentials ? TokenOrigin::obtained
                                                                           : TokenOrigin::refreshed;
    log::register_secret(token.value.reveal());
    if (entry.token) log::forget_secret(entry.token->value.reveal());
    entry.token = std::move(token);
    entry.lifetime = lifetime;
    entry.fetching = false;
    entry.needs_authorization = false;
    entry.last_error.clear();
    entry.hold_until.reset();
    entry.token_used =
        entry.token_used || std::any_of(entry.waiters.begin(), entry.waiters.end(),
                                        [](const auto& w) { return w->callback != nullptr; });
    ++entry.refreshes[static_cast<int>(RefreshResult::success)];
    spdlog::info("oauth: token for account {} fetched, valid for {} s", entry.account->name,
                 lifetime.count());
    schedule(entry, refresh_delay(lifetime));
    finish_waiters(entry, *entry.token);
    if (observer_) observer_(entry.account->name, RefreshResult::success);
}

void TokenManager::fail(Entry& entry, std::string message, RefreshResult kind,
                        std::optional<std::chrono::seconds> retry_after) {
    auto verdict = judge_failure(options_.retry, entry.retries,
                                 kind == RefreshResult::transient_error, retry_after);
    if (verdict.retry_in) {
        ++entry.retries;
        entry.last_error = message;
        spdlog::warn("oauth: {}; retry {} of {} in {} ms", entry.with_account(message),
                     entry.retries, options_.retry.max_retries, verdict.retry_in->count());
        schedule(entry, *verdict.retry_in);
        return;
    }
    message += verdict.give_up_note;
    entry.fetching = false;
    entry.last_error = message;
    entry.hold_until = Clock::now() + options_.failure_hold;
    ++entry.refreshes[static_cast<int>(kind)];
    spdlog::warn("oauth: {}", entry.with_account(message));
    if (entry.usable(Clock::now())) schedule(entry, options_.failure_hold);
    finish_waiters(entry, make_error(message));
    if (observer_) observer_(entry.account->name, kind);
}

}  // namespace mb::oauth
