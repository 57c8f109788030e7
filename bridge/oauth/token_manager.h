// TokenManager: one per daemon, on the event loop. Hands out OAuth2 access tokens for upstream
// XOAUTH2/OAUTHBEARER: from its cache, or by fetching them from the account's token endpoint
// (one request in flight per key however many sessions wait), refreshing them ahead of expiry.
//
// Keys follow the contract's token sharing: a client_credentials token belongs to the account
// (login "") and serves every login it matches; other flows key by (account, login).
// With a state_dir the manager keeps tokens in the TokenStore (tokens.sqlite, on a worker): it
// loads them at start (answering get_token only after that), saves every new access token and
// rotated refresh token before handing it out, and redeems refresh tokens (RFC 6749 6) when a
// per-login token nears expiry. A refresh refused with invalid_grant drops that login's refresh
// token and reports needs_authorization for that login only. `mailbridge auth` writes to the same
// store: whenever a per-login key has no usable token, get_token re-reads its row first, so the
// running daemon picks up a new authorization at the next login without a reload.
//
// Ownership: the manager owns its HttpClient, SecretCache, timers and entries. A TokenWait owns one
// waiter: destroying it (session closed) guarantees the callback never runs. Callbacks run on the
// loop, never inside get_token(); they may call back into the manager.
// Client authentication is client_secret_post (client_id and client_secret in the form body).
//
// Where the jobs live: token_manager.cpp (keys, cache, schedule, reload), token_fetch.cpp (the
// fetch pipeline), token_waiters (answers to sessions), token_persistence (the token store),
// token_retry (retry or give up), token_entry.h (the state of one key).
#pragma once

#include <uv.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/oauth/access_token.h"
#include "bridge/oauth/http_client.h"
#include "bridge/oauth/secret_cache.h"
#include "bridge/oauth/token_persistence.h"
#include "bridge/oauth/token_timing.h"
#include "bridge/oauth/token_waiters.h"
#include "protocol/result.h"
#include "store/token_store.h"

namespace mb::oauth {

struct TokenManagerOptions {
    std::vector<config::AccountSettings> accounts;
    std::vector<config::ProxySettings> proxies;
    Millis connect_timeout{10'000};
    Millis request_timeout{20'000};  // the whole HTTP exchange
    RetryPolicy retry;
    Millis failure_hold{10'000};    // a failed key answers with its error this long without asking
    SecretResolver resolve_secret;  // default: config::resolve_secret (runs on a worker)
    std::filesystem::path ca_file;  // extra trust anchors for endpoints; empty = system store
    std::filesystem::path state_dir;  // where tokens.sqlite lives; empty = tokens in memory only
    config::SecretSource token_key;   // [daemon] token_key; none = the key file in state_dir

    // Accounts, proxies, state_dir and token_key from the config; connect timeout =
    // daemon.connect_timeout, request timeout twice that.
    static TokenManagerOptions from_config(const config::Config& config);
};

class TokenManager {
  public:
    using Callback = TokenCallback;
    using RefreshObserver = std::function<void(std::string_view account, RefreshResult result)>;

    TokenManager(uv_loop_t* loop, TokenManagerOptions options);
    TokenManager(const TokenManager&) = delete;
    TokenManager& operator=(const TokenManager&) = delete;
    // Drops every waiter without calling it and cancels requests. The loop must still be alive.
    ~TokenManager();

    // The token for `login` of `account`. `server_proxy` is the proxy of the listener in use
    // (used when the account names none). The callback runs once unless the TokenWait goes first.
    [[nodiscard]] TokenWait get_token(std::string_view account, std::string_view login,
                                      Callback callback, std::string_view server_proxy = {});

    // Upstream rejected `token`: forget it if it is still the cached one, so the next get fetches.
    void invalidate(std::string_view account, std::string_view login, const Secret& token);

    // The stored row of (account, login) was written by someone else (the daemon's /auth flow):
    // read it now, so a login that needed authorization turns ready without waiting for a
    // session. Unknown accounts and flows that store no per-login rows are ignored.
    void stored_token_changed(std::string_view account, std::string_view login);

    // A reload: later calls use `accounts` and `proxies`. Cached tokens of accounts whose settings
    // are unchanged stay; those of removed or changed accounts are dropped (their waiters get an
    // error, their fetches are abandoned). The token store is not touched.
    void reconfigure(std::vector<config::AccountSettings> accounts,
                     std::vector<config::ProxySettings> proxies);

    // Every key seen so far, for /readyz.
    std::vector<TokenStatus> status() const;
    // Called after every completed fetch (success or final failure), for metrics.
    void set_refresh_observer(RefreshObserver observer);

    // The state of one key (token_entry.h).
    struct Entry;

  private:
    using Key = std::pair<std::string, std::string>;  // account, login ("" = account-wide)

    Entry& entry_for(const config::AccountSettings& account, std::string_view login);
    void on_store_loaded(Result<std::vector<store::StoredToken>> rows);
    void acquire(Entry& entry);
    void read_stored(Entry& entry);
    void redeem_or_ask(Entry& entry);
    void require_authorization(Entry& entry);
    void refused_refresh(Entry& entry, const std::string& message);
    void install(Entry& entry, const store::StoredToken& row);
    void persist_then_succeed(Entry& entry, AccessToken token, std::chrono::seconds lifetime,
                              std::string scopes);
    void fetch_with_secrets(Entry& entry);
    void fetch_with_proxy(Entry& entry, const config::ProxySettings* proxy);
    void fetch_endpoint(Entry& entry, const std::optional<HttpProxy>& proxy);
    void post_token_request(Entry& entry, const std::string& endpoint,
                            const std::optional<HttpProxy>& proxy);
    void on_token_answer(Entry& entry, const std::string& endpoint, const HttpResult& answer);
    void succeed(Entry& entry, AccessToken token, std::chrono::seconds lifetime);
    void fail(Entry& entry, std::string message, RefreshResult kind,
              std::optional<std::chrono::seconds> retry_after = std::nullopt);
    void finish_waiters(Entry& entry, const Result<AccessToken>& result);
    void on_entry_timer(Entry& entry);
    void schedule(Entry& entry, Millis delay);
    HttpRequest base_request(std::string url, const std::optional<HttpProxy>& proxy) const;

    uv_loop_t* loop_;
    TokenManagerOptions options_;
    HttpClient http_;
    SecretCache secrets_;
    TokenWaiters waiters_;
    std::unique_ptr<TokenPersistence> store_;  // null without a state_dir
    bool loaded_ = true;                       // false until the stored tokens are read
    std::map<Key, std::unique_ptr<Entry>> entries_;
    std::vector<std::unique_ptr<Entry>> retired_;  // see reconfigure()
    std::vector<std::unique_ptr<std::vector<config::AccountSettings>>> retired_accounts_;
    std::map<std::string, std::string, std::less<>> discovered_;  // account → token endpoint
    RefreshObserver observer_;
};

}  // namespace mb::oauth
