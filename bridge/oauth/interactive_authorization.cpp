// One interactive authorization, config to token store (see interactive_authorization.h).
#include "bridge/oauth/interactive_authorization.h"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "bridge/config/secret_resolver.h"
#include "bridge/oauth/account_endpoints.h"
#include "bridge/oauth/blocking_http.h"
#include "bridge/oauth/http_proxy_config.h"
#include "bridge/oauth/token_endpoint_answer.h"
#include "protocol/oauth/identity_claims.h"

namespace mb::oauth {

namespace {

using SystemClock = std::chrono::system_clock;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

Result<std::optional<HttpProxy>> proxy_of(const config::Config& config,
                                          const config::AccountSettings& account) {
    if (account.proxy.empty()) return std::optional<HttpProxy>();
    const auto* proxy = config.find_proxy(account.proxy);
    if (!proxy)
        return make_error("account " + account.name + ": proxy \"" + account.proxy +
                          "\" is not configured");
    Secret password;
    if (!proxy->password.empty()) {
        auto resolved = config::resolve_secret(proxy->password);
        if (!resolved)
            return make_error("proxy " + proxy->name +
                              ": cannot read password: " + resolved.error().message);
        password = std::move(*resolved);
    }
    return std::optional<HttpProxy>(http_proxy_for(*proxy, std::move(password)));
}

std::string joined(const std::vector<std::string>& scopes) {
    std::string out;
    for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

}  // namespace

bool account_matches_login(const std::string& pattern, const std::string& login) {
    if (pattern.rfind("*@", 0) == 0) {
        const std::string domain = pattern.substr(1);
        if (login.size() <= domain.size()) return false;
        return lower(login.substr(login.size() - domain.size())) == lower(domain);
    }
    return pattern == login;
}

Result<std::string> interactive_login(const config::AccountSettings& account,
                                      const std::optional<std::string>& requested) {
    if (account.auth != config::AccountAuth::oauth2 ||
        account.flow == config::Flow::client_credentials)
        return make_error("account " + account.name +
                          " needs no interactive authorization (only authorization_code and "
                          "device_code accounts do)");
    std::string login = requested.value_or(account.login);
    if (login.rfind("*@", 0) == 0)
        return make_error("account " + account.name + " serves " + account.login +
                          " — name the user to authorize");
    if (!account_matches_login(account.login, login))
        return make_error("login " + login + " does not match account " + account.name +
                          " (login = \"" + account.login + "\")");
    return login;
}

Result<InteractiveClient> interactive_client(const config::Config& config,
                                             const config::AccountSettings& account,
                                             const std::string& login) {
    InteractiveClient client;
    client.account = &account;
    client.login = login;
    client.identity = account.upstream_user.empty() ? login : account.upstream_user;
    client.connect_timeout = std::chrono::seconds(config.daemon.connect_timeout);
    client.request_timeout = 2 * client.connect_timeout;
    if (!account.client_secret.empty()) {
        auto secret = config::resolve_secret(account.client_secret);
        if (!secret)
            return make_error("account " + account.name +
                              ": cannot read client_secret: " + secret.error().message);
        client.client_secret = std::move(*secret);
    }
    auto proxy = proxy_of(config, account);
    if (!proxy) return proxy.error();
    client.proxy = std::move(*proxy);
    return client;
}

Result<void> check_grant_identity(const InteractiveClient& client,
                                  const InteractiveEndpoints& endpoints,
                                  const protocol::oauth::TokenGrant& grant) {
    namespace po = protocol::oauth;
    const auto& account = *client.account;
    std::optional<std::string> named;
    std::string unchecked = "the token response has no id_token (add the openid scope)";
    if (grant.id_token) {
        auto claims = po::id_token_claims(grant.id_token->reveal());
        if (!claims) return claims.error();
        auto checked =
            po::check_identity(*claims, client.identity, endpoints.issuer, account.client_id);
        if (!checked) return checked.error();
        named = std::move(*checked);
        unchecked = "the id_token names no email, preferred_username or upn";
    }
    if (!named && !endpoints.userinfo.empty()) {
        HttpRequest request;
        request.url = endpoints.userinfo;
        request.connect_timeout = client.connect_timeout;
        request.total_timeout = client.request_timeout;
        request.proxy = client.proxy;
        request.bearer = grant.access_token;
        auto answer = fetch_blocking(std::move(request));
        if (!answer.ok()) {
            unchecked = transport_failure_message(answer, "userinfo endpoint", endpoints.userinfo);
        } else if (answer.status != 200) {
            unchecked = "the userinfo endpoint " + endpoints.userinfo + " answered HTTP " +
                        std::to_string(answer.status);
        } else if (auto claims = po::userinfo_claims(answer.body); !claims) {
            unchecked = claims.error().message;
        } else {
            claims->issuer.clear();  // a plain JSON answer: iss/aud are not its to carry
            claims->audience.clear();
            auto checked = po::check_identity(*claims, client.identity, "", account.client_id);
            if (!checked) return checked.error();
            named = std::move(*checked);
            if (!named) unchecked += "; the userinfo answer names none either";
        }
    }
    if (named)
        spdlog::info("oauth: account {} login {}: the provider confirmed the identity {}",
                     account.name, client.login, *named);
    else
        spdlog::info(
            "oauth: account {} login {}: the identity of the new token could not be "
            "checked: {}",
            account.name, client.login, unchecked);
    return {};
}

Result<store::TokenStore> open_token_store(const config::Config& config) {
    std::optional<Secret> passphrase;
    if (!config.daemon.token_key.empty()) {
        auto key = config::resolve_secret(config.daemon.token_key);
        if (!key) return make_error("cannot read [daemon] token_key: " + key.error().message);
        passphrase = std::move(*key);
    }
    return store::TokenStore::open_in(config.daemon.state_dir, passphrase);
}

Result<AuthorizationOutcome> authorize_and_store(const InteractiveClient& client,
                                                 store::TokenStore& store, const FlowIo& io) {
    const auto& account = *client.account;
    auto endpoints = resolve_interactive_endpoints(client);
    if (!endpoints) return endpoints.error();
    auto grant = account.flow == config::Flow::device_code
                     ? run_device_code(client, *endpoints, io)
                     : run_authorization_code(client, *endpoints, io);
    if (!grant)
        return make_error("account " + account.name + " login " + client.login + ": " +
                          grant.error().message);
    if (auto checked = check_grant_identity(client, *endpoints, *grant); !checked)
        return make_error("account " + account.name + " login " + client.login + ": " +
                          checked.error().message + " (the stored token, if any, was kept)");

    store::StoredToken row;
    row.account = account.name;
    row.login = client.login;
    row.obtained_at = SystemClock::now();
    row.expires_at = row.obtained_at + grant->expires_in;
    row.access_token = grant->access_token;
    if (grant->refresh_token) row.refresh_token = *grant->refresh_token;
    row.scopes = grant->scope.value_or(joined(scopes_for(account)));
    if (auto saved = store.put(row); !saved)
        return make_error("cannot store the tokens in " + store.file().string() + ": " +
                          saved.error().message);
    AuthorizationOutcome outcome;
    outcome.expires_in = grant->expires_in;
    outcome.refresh_token = grant->refresh_token.has_value();
    outcome.summary = "Authorized " + client.login + " for account " + account.name +
                      "; tokens stored in " + store.file().string() + " (access token valid " +
                      std::to_string(grant->expires_in.count()) + " s" +
                      (outcome.refresh_token ? ", with a refresh token" : "") + ").";
    return outcome;
}

}  // namespace mb::oauth
