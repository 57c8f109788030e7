// TokenManager::Entry: the state of one token key (an account, or an account and a login), shared
// by the files that implement the TokenManager (token_manager.cpp: the keys, the cache and the
// schedule; token_fetch.cpp: the fetch pipeline). Not for other callers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/net/uv_timer.h"
#include "bridge/oauth/access_token.h"
#include "bridge/oauth/http_client.h"
#include "bridge/oauth/token_manager.h"
#include "bridge/oauth/token_timing.h"
#include "bridge/oauth/token_waiters.h"
#include "protocol/secret.h"

namespace mb::oauth {

struct TokenManager::Entry {
    using Clock = std::chrono::steady_clock;

    explicit Entry(uv_loop_t* loop) : timer(loop) {}

    const config::AccountSettings* account = nullptr;  // into the manager's account list
    std::string login;                                 // "" for an account-wide token
    std::optional<AccessToken> token;
    std::chrono::seconds lifetime{0};
    bool token_used = false;  // handed out since the last fetch began (refresh ahead only then)
    bool fetching = false;    // a fetch (or its retry wait) is under way
    int retries = 0;
    std::string server_proxy;  // proxy of the listener whose session started the fetch
    Secret client_secret;
    std::vector<std::shared_ptr<TokenWaiter>> waiters;
    HttpCall call;
    net::UvTimer timer;  // retry wait while fetching, else refresh ahead
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
    // A callback that finds its entry retired only ends the fetch.
    void settle() { fetching = false; }
    // A log line names the account once, whether or not the message already does.
    std::string with_account(const std::string& message) const {
        std::string prefix = "account " + account->name + ": ";
        return message.rfind(prefix, 0) == 0 ? message : prefix + message;
    }
};

}  // namespace mb::oauth
