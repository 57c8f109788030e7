// The token manager (see token_manager.h). A fetch runs as a chain of loop callbacks:
//   acquire → [per-login flows: stored row (worker) → stored token | refresh token | needs
//   authorization] → client secret (worker; public clients have none) → proxy password (worker)
//   → endpoint (preset or discovery GET) → token POST → [save (worker)] → succeed | fail
//   (transient: retry timer → again from the secrets).
// Every result reaches waiters through deferred_ and a zero timer, so no callback ever runs
// inside get_token(). Entries are never erased while the manager lives; callbacks hold Entry&.
#include "bridge/oauth/token_manager.h"

#include <algorithm>

#include "bridge/config/secret_resolver.h"
#include "bridge/log/log.h"
#include "bridge/oauth/account_endpoints.h"
#include "bridge/oauth/http_proxy_config.h"
#include "bridge/oauth/token_endpoint_answer.h"
#include "protocol/oauth/discovery.h"
#include "protocol/oauth/form_encoding.h"
#include "store/token_store.h"

namespace mb::oauth {

using Clock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

namespace {

SecretResolver resolver_or_default(SecretResolver resolver) {
    if (resolver) return resolver;
    return [](const config::SecretSource& source) { return config::resolve_secret(source); };
}

}  // namespace

std::string_view to_string(TokenState state) {
    switch (state) {
        case TokenState::unknown:
            return "unknown";
        case TokenState::valid:
            return "valid";
        case TokenState::needs_authorization:
            return "needs_authorization";
        case TokenState::failing:
            return "failing";
    }
    return "unknown";
}

std::string_view to_string(TokenOrigin origin) {
    switch (origin) {
        case TokenOrigin::stored:
            return "from the token store";
        case TokenOrigin::refreshed:
            return "refreshed";
        case TokenOrigin::obtained:
            return "obtained";
    }
    return "obtained";
}

std::string_view to_string(RefreshResult result) {
    switch (result) {
        case RefreshResult::success:
            return "success";
        case RefreshResult::transient_error:
            return "transient_error";
        case RefreshResult::permanent_error:
            return "permanent_error";
    }
    return "permanent_error";
}

struct TokenManager::Waiter {
    Callback callback;  // null once delivered or cancelled
};

struct TokenManager::Entry {
    TokenManager* owner = nullptr;
    const config::AccountSettings* account = nullptr;  // into options_.accounts
    std::string login;                                 // "" for an account-wide token
    std::optional<AccessToken> token;
    std::chrono::seconds lifetime{0};
    bool token_used = false;  // handed out since the last fetch began (refresh ahead only then)
    bool fetching = false;    // a fetch (or its retry wait) is under way
    int retries = 0;
    std::string server_proxy;  // proxy of the listener whose session started the fetch
    Secret client_secret;
    std::vector<std::shared_ptr<Waiter>> waiters;
    HttpCall call;
    net::UvHandle<uv_timer_t> timer;  // retry wait while fetching, else refresh ahead
    bool needs_authorization = false;
    std::string last_error;
    std::optional<Clock::time_point> hold_until;
    std::uint64_t refreshes[3] = {0, 0, 0};  // by RefreshResult
    Secret refresh_token;                    // per-login flows; "" = none
    Secret refresh_in_use;                   // the refresh token the request in flight redeems
    Secret rejected;                         // last token upstream refused (never reinstalled)
    bool retired = false;  // its account left or changed in a reload: finish nothing, fetch nothing

    bool usable(Clock::time_point now) const {
        return token && now + expiry_margin(lifetime) < token->expires_at;
    }
};

namespace {

// A log line names the account once, whether or not the message already does.
std::string with_account(const TokenManager::Entry& entry, const std::string& message) {
    std::string prefix = "account " + entry.account->name + ": ";
    return message.rfind(prefix, 0) == 0 ? message : prefix + message;
}

}  // namespace

TokenManagerOptions TokenManagerOptions::from_config(const config::Config& config) {
    TokenManagerOptions options;
    options.accounts = config.accounts;
    options.proxies = config.proxies;
    options.connect_timeout = std::chrono::seconds(config.daemon.connect_timeout);
    options.request_timeout = 2 * options.connect_timeout;
    options.state_dir = config.daemon.state_dir;
    options.token_key = config.daemon.token_key;
    return options;
}

TokenManager::TokenManager(uv_loop_t* loop, TokenManagerOptions options)
    : loop_(loop),
      options_(std::move(options)),
      http_(loop),
      secrets_(loop, resolver_or_default(options_.resolve_secret)) {
    deferred_timer_.open([&](uv_timer_t* t) { return uv_timer_init(loop_, t); });
    deferred_timer_.get()->data = this;
    if (options_.state_dir.empty()) return;
    store_ = std::make_unique<TokenStoreWorker>(loop_, options_.state_dir, options_.token_key,
                                                resolver_or_default(options_.resolve_secret));
    loaded_ = false;
    auto rows = std::make_shared<Result<std::vector<store::StoredToken>>>(
        make_error("the token store was not read"));
    store_->post(
        [rows](Result<store::TokenStore*> store) {
            if (!store) {
                *rows = store.error();
                return;
            }
            *rows = (*store)->load_all();
        },
        [this, rows] { on_store_loaded(std::move(*rows)); });
}

void TokenManager::on_store_loaded(Result<std::vector<store::StoredToken>> rows) {
    loaded_ = true;
    if (!rows) {
        spdlog::error("oauth: cannot read the token store: {}", rows.error().message);
    } else {
        for (const auto& row : *rows) {
            auto account = std::find_if(options_.accounts.begin(), options_.accounts.end(),
                                        [&](const auto& a) { return a.name == row.account; });
            if (account == options_.accounts.end() ||
                account->auth != config::AccountAuth::oauth2 ||
                (account->flow == config::Flow::client_credentials) != row.login.empty())
                continue;
            Entry& entry = entry_for(*account, row.login);
            entry.refresh_token = row.refresh_token;
            entry.last_error = row.last_error;
            install(entry, row);
            entry.needs_authorization = account->flow != config::Flow::client_credentials &&
                                        !entry.token && entry.refresh_token.empty();
        }
        spdlog::info("oauth: {} stored token(s) loaded", rows->size());
    }
    for (auto& [key, entry] : entries_) {
        if (entry->waiters.empty() || entry->fetching) continue;
        if (entry->usable(Clock::now())) {
            entry->token_used = true;
            finish_waiters(*entry, *entry->token);
        } else {
            acquire(*entry);
        }
    }
}

// Takes the row's access token when it is still valid and not the one upstream refused.
void TokenManager::install(Entry& entry, const store::StoredToken& row) {
    if (row.access_token.empty() || !row.expires_at || row.access_token == entry.rejected) return;
    const auto left = *row.expires_at - SystemClock::now();
    if (left <= std::chrono::seconds(1)) return;
    const auto lifetime = std::max(
        std::chrono::duration_cast<std::chrono::seconds>(*row.expires_at - row.obtained_at),
        std::chrono::seconds(1));
    AccessToken token;
    token.value = row.access_token;
    token.origin = TokenOrigin::stored;
    token.expires_at = Clock::now() + std::chrono::duration_cast<Clock::duration>(left);
    token.valid_until = *row.expires_at;
    log::register_secret(token.value.reveal());
    if (entry.token) log::forget_secret(entry.token->value.reveal());
    entry.token = std::move(token);
    entry.lifetime = lifetime;
    const auto until_refresh = refresh_delay(lifetime) - std::chrono::duration_cast<Millis>(
                                                             SystemClock::now() - row.obtained_at);
    schedule(entry, std::max(until_refresh, Millis(1000)));
}

TokenManager::~TokenManager() {
    alive_.reset();
}

namespace {
void entry_settled(TokenManager::Entry& entry) {
    entry.fetching = false;
}
}  // namespace

// Entries keep pointing into the account list they were made from; callbacks still queued on the
// store worker or the secret resolver hold references to entries. So a retired entry and the old
// list stay allocated (flagged, silent) until no fetch of it can be under way any more.
void TokenManager::reconfigure(std::vector<config::AccountSettings> accounts,
                               std::vector<config::ProxySettings> proxies) {
    std::erase_if(retired_, [](const auto& entry) { return !entry->fetching; });
    auto previous =
        std::make_unique<std::vector<config::AccountSettings>>(std::move(options_.accounts));
    options_.accounts = std::move(accounts);
    const bool proxies_changed = !(options_.proxies == proxies);
    options_.proxies = std::move(proxies);
    std::size_t kept = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& entry = *it->second;
        auto next = std::find_if(options_.accounts.begin(), options_.accounts.end(),
                                 [&](const auto& a) { return a.name == it->first.first; });
        // A proxy change may alter the route of any account's token calls: start afresh.
        const bool same =
            next != options_.accounts.end() && *next == *entry.account && !proxies_changed;
        if (same) {
            entry.account = &*next;
            ++kept;
            ++it;
            continue;
        }
        spdlog::info("oauth: account {} {} by the reload: its cached token is dropped",
                     it->first.first,
                     next == options_.accounts.end() ? "was removed" : "was changed");
        entry.retired = true;
        // A fetch waits on one thing at a time: an HTTP call, a retry timer, or a store/secret
        // callback. The first two end here; the last clears `fetching` when it runs.
        const bool waits_here =
            entry.call.active() || uv_is_active(reinterpret_cast<uv_handle_t*>(entry.timer.get()));
        entry.call.cancel();
        uv_timer_stop(entry.timer.get());
        if (waits_here) entry.fetching = false;
        finish_waiters(entry, make_error("account " + it->first.first +
                                         " was changed by a configuration reload; log in again"));
        if (entry.token) log::forget_secret(entry.token->value.reveal());
        retired_.push_back(std::move(it->second));
        it = entries_.erase(it);
    }
    discovered_.clear();
    if (kept != 0 || !retired_.empty()) retired_accounts_.push_back(std::move(previous));
    // Keep only account lists that a retired entry still points into.
    std::erase_if(retired_accounts_, [&](const auto& list) {
        return std::none_of(retired_.begin(), retired_.end(), [&](const auto& entry) {
            return entry->account >= list->data() && entry->account < list->data() + list->size();
        });
    });
}

void TokenManager::set_refresh_observer(RefreshObserver observer) {
    observer_ = std::move(observer);
}

TokenManager::Entry& TokenManager::entry_for(const config::AccountSettings& account,
                                             std::string_view login) {
    Key key{account.name,
            account.flow == config::Flow::client_credentials ? "" : std::string(login)};
    auto& slot = entries_[key];
    if (!slot) {
        slot = std::make_unique<Entry>();
        slot->owner = this;
        slot->account = &account;
        slot->login = key.second;
        slot->timer.open([&](uv_timer_t* t) { return uv_timer_init(loop_, t); });
        slot->timer.get()->data = slot.get();
    }
    return *slot;
}

TokenWait TokenManager::get_token(std::string_view account_name, std::string_view login,
                                  Callback callback, std::string_view server_proxy) {
    auto waiter = std::make_shared<Waiter>(Waiter{std::move(callback)});
    TokenWait wait(waiter);
    auto account = std::find_if(options_.accounts.begin(), options_.accounts.end(),
                                [&](const auto& a) { return a.name == account_name; });
    if (account == options_.accounts.end()) {
        defer(waiter, make_error("no account named \"" + std::string(account_name) +
                                 "\" is configured — check the [[account]] names"));
        return wait;
    }
    if (account->auth != config::AccountAuth::oauth2) {
        defer(waiter,
              make_error("account " + account->name + " uses password authentication, not OAuth2"));
        return wait;
    }
    Entry& entry = entry_for(*account, login);
    if (!loaded_) {  // answered by on_store_loaded
        entry.waiters.push_back(std::move(waiter));
        entry.server_proxy = std::string(server_proxy);
        return wait;
    }
    auto now = Clock::now();
    if (entry.usable(now)) {
        entry.token_used = true;
        defer(waiter, *entry.token);
        return wait;
    }
    if (!entry.fetching && entry.hold_until && now < *entry.hold_until) {
        defer(waiter, make_error(entry.last_error));
        return wait;
    }
    entry.waiters.push_back(std::move(waiter));
    if (!entry.fetching) {
        entry.server_proxy = std::string(server_proxy);
        acquire(entry);
    }
    return wait;
}

void TokenManager::invalidate(std::string_view account, std::string_view login,
                              const Secret& token) {
    for (auto& [key, entry] : entries_) {
        if (key.first != account || (!key.second.empty() && key.second != login)) continue;
        if (!entry->token || !(entry->token->value == token)) continue;
        log::forget_secret(entry->token->value.reveal());
        entry->rejected = entry->token->value;
        entry->token.reset();
        if (!entry->fetching) uv_timer_stop(entry->timer.get());
    }
}

void TokenManager::stored_token_changed(std::string_view account_name, std::string_view login) {
    auto account = std::find_if(options_.accounts.begin(), options_.accounts.end(),
                                [&](const auto& a) { return a.name == account_name; });
    if (!store_ || account == options_.accounts.end() ||
        account->auth != config::AccountAuth::oauth2 ||
        account->flow == config::Flow::client_credentials || login.empty())
        return;
    Entry& entry = entry_for(*account, login);
    if (entry.fetching || !loaded_) return;  // the fetch under way reads the row itself
    entry.fetching = true;
    entry.retries = 0;
    entry.hold_until.reset();
    read_stored(entry);
}

std::vector<TokenStatus> TokenManager::status() const {
    std::vector<TokenStatus> result;
    auto now = Clock::now();
    for (const auto& [key, entry] : entries_) {
        TokenStatus status;
        status.account = key.first;
        status.login = key.second;
        bool valid = entry->token && now < entry->token->expires_at;
        if (entry->needs_authorization)
            status.state = TokenState::needs_authorization;
        else if (valid)
            status.state = TokenState::valid;
        else if (!entry->last_error.empty())
            status.state = TokenState::failing;
        if (valid) status.valid_until = entry->token->valid_until;
        status.last_error = entry->last_error;
        status.refreshes_success = entry->refreshes[0];
        status.refreshes_transient_error = entry->refreshes[1];
        status.refreshes_permanent_error = entry->refreshes[2];
        result.push_back(std::move(status));
    }
    return result;
}

void TokenManager::defer(std::shared_ptr<Waiter> waiter, Result<AccessToken> result) {
    if (!waiter->callback) return;
    deferred_.emplace_back(std::move(waiter), std::move(result));
    uv_timer_start(
        deferred_timer_.get(),
        [](uv_timer_t* timer) {
            if (timer->data) static_cast<TokenManager*>(timer->data)->deliver_deferred();
        },
        0, 0);
}

void TokenManager::deliver_deferred() {
    auto batch = std::move(deferred_);
    deferred_.clear();
    std::weak_ptr<bool> alive = alive_;
    for (auto& [waiter, result] : batch) {
        if (!waiter->callback) continue;  // cancelled meanwhile
        auto callback = std::move(waiter->callback);
        waiter->callback = nullptr;
        callback(result);
        if (alive.expired()) return;  // a callback destroyed the manager
    }
}

void TokenManager::finish_waiters(Entry& entry, const Result<AccessToken>& result) {
    auto waiters = std::move(entry.waiters);
    entry.waiters.clear();
    for (auto& waiter : waiters) defer(std::move(waiter), result);
}

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
    auto row = std::make_shared<Result<std::optional<store::StoredToken>>>(
        make_error("the token store was not read"));
    store_->post(
        [row, account = entry.account->name,
         login = entry.login](Result<store::TokenStore*> store) {
            if (!store) {
                *row = store.error();
                return;
            }
            *row = (*store)->get(account, login);
        },
        [this, &entry, row] {
            if (entry.retired) return entry_settled(entry);
            if (!*row) {
                fail(entry, "token store: " + row->error().message, RefreshResult::permanent_error);
                return;
            }
            if (const auto& stored = **row) {
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
    spdlog::warn("oauth: {}", with_account(entry, "login " + entry.login + ": " + message));
    Secret used = entry.refresh_in_use;
    entry.refresh_token = Secret();
    if (entry.token) log::forget_secret(entry.token->value.reveal());
    entry.token.reset();
    ++entry.refreshes[static_cast<int>(RefreshResult::permanent_error)];
    require_authorization(entry);
    if (store_)
        store_->post(
            [account = entry.account->name, login = entry.login, used,
             text = entry.last_error](Result<store::TokenStore*> store) {
                if (store) (void)(*store)->record_refusal(account, login, used, text);
            },
            nullptr);
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
                         if (entry.retired) return entry_settled(entry);
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
            if (entry.retired) return entry_settled(entry);
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
        if (entry.retired) return entry_settled(entry);
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
        if (entry.retired) return entry_settled(entry);
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
    auto saved = std::make_shared<Result<void>>(make_error("the token store was not written"));
    store_->post(
        [saved, row = std::move(row)](Result<store::TokenStore*> store) {
            *saved = store ? (*store)->put(row) : Result<void>(store.error());
        },
        [this, &entry, saved, token = std::move(token), lifetime]() mutable {
            if (entry.retired) return entry_settled(entry);
            if (!*saved)
                spdlog::error(
                    "oauth: {}",
                    with_account(entry, "cannot save the new token in the token store: " +
                                            saved->error().message +
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
    if (kind == RefreshResult::transient_error) {
        if (auto delay = retry_delay(options_.retry, entry.retries + 1, retry_after)) {
            ++entry.retries;
            entry.last_error = message;
            spdlog::warn("oauth: {}; retry {} of {} in {} ms", with_account(entry, message),
                         entry.retries, options_.retry.max_retries, delay->count());
            schedule(entry, *delay);
            return;
        }
        if (entry.retries > 0)
            message += " (gave up after " + std::to_string(entry.retries + 1) + " attempts)";
        else if (retry_after)
            message += " (the server asks to wait " + std::to_string(retry_after->count()) + " s)";
    }
    entry.fetching = false;
    entry.last_error = message;
    entry.hold_until = Clock::now() + options_.failure_hold;
    ++entry.refreshes[static_cast<int>(kind)];
    spdlog::warn("oauth: {}", with_account(entry, message));
    if (entry.usable(Clock::now())) schedule(entry, options_.failure_hold);
    finish_waiters(entry, make_error(message));
    if (observer_) observer_(entry.account->name, kind);
}

void TokenManager::schedule(Entry& entry, Millis delay) {
    if (entry.retired) return;
    uv_timer_start(
        entry.timer.get(),
        [](uv_timer_t* timer) {
            if (auto* e = static_cast<Entry*>(timer->data)) e->owner->on_entry_timer(*e);
        },
        static_cast<std::uint64_t>(std::max<Millis>(delay, Millis(0)).count()), 0);
}

void TokenManager::on_entry_timer(Entry& entry) {
    if (entry.fetching) {  // the wait before a retry is over
        fetch_with_secrets(entry);
        return;
    }
    if (!entry.token || !entry.token_used) return;  // nobody used it: let it lapse
    spdlog::debug("oauth: refreshing the token of account {} ahead of expiry", entry.account->name);
    acquire(entry);
}

TokenWait& TokenWait::operator=(TokenWait&& other) noexcept {
    if (this != &other) {
        cancel();
        waiter_ = std::move(other.waiter_);
    }
    return *this;
}

TokenWait::~TokenWait() {
    cancel();
}

void TokenWait::cancel() {
    if (auto waiter = waiter_.lock()) waiter->callback = nullptr;
    waiter_.reset();
}

bool TokenWait::pending() const {
    auto waiter = waiter_.lock();
    return waiter && waiter->callback != nullptr;
}

}  // namespace mb::oauth
