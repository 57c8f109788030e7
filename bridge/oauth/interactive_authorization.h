// One interactive authorization of a login, from the config to the token store: what
// `mailbridge auth` and the daemon's /auth route share. Blocking (HTTP calls, the loopback
// redirect, device polling): run it on the command line or on a thread of its own, never the loop.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "bridge/config/config_model.h"
#include "bridge/oauth/interactive_flows.h"
#include "protocol/result.h"
#include "store/token_store.h"

namespace mb::oauth {

// Whether `login` is one the account's login setting (exact or "*@domain") matches.
bool account_matches_login(const std::string& pattern, const std::string& login);

// The login to authorize for `account`: `requested`, else the account's own. Errors say why none
// can be: the account needs no interactive authorization, it serves a domain and no user was
// named, or the user is not one the account serves.
Result<std::string> interactive_login(const config::AccountSettings& account,
                                      const std::optional<std::string>& requested);

// The flow's client for `login`: client secret and the account's proxy resolved (secret forms
// may run commands). Errors name the setting to fix.
Result<InteractiveClient> interactive_client(const config::Config& config,
                                             const config::AccountSettings& account,
                                             const std::string& login);

// The token store of the config's state_dir, with [daemon] token_key when set.
Result<store::TokenStore> open_token_store(const config::Config& config);

// Whose token is it: refuses a grant whose id_token (or, when that names nobody, the discovered
// userinfo endpoint asked with the new access token) names another identity than
// client.identity, saying which. When neither names one the grant passes and the log says the
// identity could not be checked. Blocking (the userinfo request).
Result<void> check_grant_identity(const InteractiveClient& client,
                                  const InteractiveEndpoints& endpoints,
                                  const protocol::oauth::TokenGrant& grant);

struct AuthorizationOutcome {
    std::chrono::seconds expires_in{0};
    bool refresh_token = false;  // false: the authorization ends with the access token
    std::string summary;         // one sentence for the admin
};

// Discovery (when needed), the account's flow, then the grant stored in `store` (a rotated
// refresh token replaces the old one at once).
Result<AuthorizationOutcome> authorize_and_store(const InteractiveClient& client,
                                                 store::TokenStore& store, const FlowIo& io);

}  // namespace mb::oauth
