// The token manager (see token_manager.h): the token keys and their cached tokens, get_token and
// invalidate, the tokens loaded from the store at start, the timer of each key (refresh ahead of
// expiry, or the wait before a retry) and reloads. The fetch pipeline is in token_fetch.cpp.
// Entries are never erased while the manager lives (a reload retires them); callbacks hold Entry&.
#include "bridge/oauth/token_manager.h"

#include <algorithm>

#include "bridge/config/secret_resolver.h"
#include "bridge/log/log.h"
#include "bridge/oauth/token_entry.h"

namespace mb::oauth {

using Clock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

namespace {

SecretResolver resolver_or_default(SecretResolver resolver) {
    if (resolver) return resolver;
    return [](const config::SecretSource& source) { return config::resolve_secret(source); };
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
      secrets_(loop, resolver_or_default(options_.resolve_secret)),
      waiters_(loop) {
    if (options_.state_dir.empty()) return;
    store_ = std::make_unique<TokenPersistence>(loop_, options_.state_dir, options_.token_key,
                                                resolver_or_default(options_.resolve_secret));
    loaded_ = false;
    store_->load_all(
        [this](Result<std::vector<store::StoredToken>> rows) { on_store_loaded(std::move(rows)); });
}

TokenManager::~TokenManager() = default;

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
    auto stored = stored_access(row, entry.rejected, Clock::now(), SystemClock::now());
    if (!stored) return;
    log::register_secret(stored->token.value.reveal());
    if (entry.token) log::forget_secret(entry.token->value.reveal());
    entry.token = std::move(stored->token);
    entry.lifetime = stored->lifetime;
    schedule(entry, std::max(stored->until_refresh, Millis(1000)));
}

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
        const bool waits_here = entry.call.active() || entry.timer.is_active();
        entry.call.cancel();
        entry.timer.stop();
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
        slot = std::make_unique<Entry>(loop_);
        slot->account = &account;
        slot->login = key.second;
    }
    return *slot;
}

TokenWait TokenManager::get_token(std::string_view account_name, std::string_view login,
                                  Callback callback, std::string_view server_proxy) {
    auto waiter = std::make_shared<TokenWaiter>(TokenWaiter{std::move(callback)});
    TokenWait wait(waiter);
    auto account = std::find_if(options_.accounts.begin(), options_.accounts.end(),
                                [&](const auto& a) { return a.name == account_name; });
    if (account == options_.accounts.end()) {
        waiters_.answer(waiter, make_error("no account named \"" + std::string(account_name) +
                                           "\" is configured — check the [[account]] names"));
        return wait;
    }
    if (account->auth != config::AccountAuth::oauth2) {
        waiters_.answer(waiter, make_error("account " + account->name +
                                           " uses password authentication, not OAuth2"));
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
        waiters_.answer(waiter, *entry.token);
        return wait;
    }
    if (!entry.fetching && entry.hold_until && now < *entry.hold_until) {
        waiters_.answer(waiter, make_error(entry.last_error));
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
        if (!entry->fetching) entry->timer.stop();
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

void TokenManager::finish_waiters(Entry& entry, const Result<AccessToken>& result) {
    waiters_.answer_all(entry.waiters, result);
}

void TokenManager::schedule(Entry& entry, Millis delay) {
    if (entry.retired) return;
    auto started = entry.timer.start(delay, [this, &entry] { on_entry_timer(entry); });
    if (!started)
        spdlog::error("oauth: {}", entry.with_account("no refresh or retry can be scheduled: " +
                                                      started.error().message));
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

}  // namespace mb::oauth
