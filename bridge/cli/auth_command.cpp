// `mailbridge auth` (see auth_command.h): config and secrets, the flow, then the token store.
#include "bridge/cli/auth_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "bridge/cli/exit_codes.h"
#include "bridge/config/config_loader.h"
#include "bridge/config/secret_resolver.h"
#include "bridge/oauth/account_endpoints.h"
#include "bridge/oauth/interactive_flows.h"
#include "store/token_store.h"

extern char** environ;

namespace mb::cli {

namespace {

using SystemClock = std::chrono::system_clock;

// xdg-open in the background, only when a graphical session can show it.
void open_browser(const std::string& url) {
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((display == nullptr || *display == '\0') && (wayland == nullptr || *wayland == '\0'))
        return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string program = "xdg-open";
    std::string argument = url;
    char* argv[] = {program.data(), argument.data(), nullptr};
    pid_t pid = 0;
    if (posix_spawnp(&pid, "xdg-open", &actions, nullptr, argv, environ) == 0)
        ::waitpid(pid, nullptr, WNOHANG);
    posix_spawn_file_actions_destroy(&actions);
}

Result<std::optional<oauth::HttpProxy>> proxy_of(const config::Config& config,
                                                 const config::AccountSettings& account) {
    if (account.proxy.empty()) return std::optional<oauth::HttpProxy>();
    const auto* proxy = config.find_proxy(account.proxy);
    if (!proxy)
        return make_error("account " + account.name + ": proxy \"" + account.proxy +
                          "\" is not configured");
    oauth::HttpProxy settings;
    settings.url = proxy->url;
    switch (proxy->auth) {
        case config::ProxyAuth::none:
            settings.auth = oauth::HttpProxy::Auth::none;
            break;
        case config::ProxyAuth::basic:
            settings.auth = oauth::HttpProxy::Auth::basic;
            break;
        case config::ProxyAuth::digest:
            settings.auth = oauth::HttpProxy::Auth::digest;
            break;
        case config::ProxyAuth::any:
            settings.auth = oauth::HttpProxy::Auth::any;
            break;
    }
    settings.username = proxy->username;
    if (!proxy->password.empty()) {
        auto password = config::resolve_secret(proxy->password);
        if (!password)
            return make_error("proxy " + proxy->name +
                              ": cannot read password: " + password.error().message);
        settings.password = std::move(*password);
    }
    settings.ca_file = proxy->ca_file;
    settings.no_proxy = proxy->no_proxy;
    return std::optional<oauth::HttpProxy>(std::move(settings));
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
        auto lower = [](std::string text) {
            std::transform(text.begin(), text.end(), text.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            return text;
        };
        return lower(login.substr(login.size() - domain.size())) == lower(domain);
    }
    return pattern == login;
}

int auth_command(const std::filesystem::path& config_path, const std::string& account_name,
                 const std::optional<std::string>& login_option, std::chrono::seconds timeout) {
    auto loaded = config::load_config_file(config_path);
    for (const auto& problem : loaded.problems) std::cerr << problem.to_string() << "\n";
    if (!loaded.config) return kExitUsage;
    const config::Config& config = *loaded.config;
    const auto* account = config.find_account(account_name);
    if (!account) {
        std::cerr << "auth: no account named \"" << account_name << "\" in " << config_path.string()
                  << "\n";
        return kExitUsage;
    }
    if (account->auth != config::AccountAuth::oauth2 ||
        account->flow == config::Flow::client_credentials) {
        std::cerr << "auth: account " << account->name
                  << " needs no interactive authorization (only authorization_code and "
                     "device_code accounts do)\n";
        return kExitUsage;
    }
    std::string login = login_option.value_or(account->login);
    if (login.rfind("*@", 0) == 0) {
        std::cerr << "auth: account " << account->name << " serves " << account->login
                  << " — name the user with --login USER\n";
        return kExitUsage;
    }
    if (!account_matches_login(account->login, login)) {
        std::cerr << "auth: login " << login << " does not match account " << account->name
                  << " (login = \"" << account->login << "\")\n";
        return kExitUsage;
    }

    oauth::InteractiveClient client;
    client.account = account;
    client.login = login;
    client.connect_timeout = std::chrono::seconds(config.daemon.connect_timeout);
    client.request_timeout = 2 * client.connect_timeout;
    if (!account->client_secret.empty()) {
        auto secret = config::resolve_secret(account->client_secret);
        if (!secret) {
            std::cerr << "auth: account " << account->name
                      << ": cannot read client_secret: " << secret.error().message << "\n";
            return kExitUsage;
        }
        client.client_secret = std::move(*secret);
    }
    auto proxy = proxy_of(config, *account);
    if (!proxy) {
        std::cerr << "auth: " << proxy.error().message << "\n";
        return kExitUsage;
    }
    client.proxy = std::move(*proxy);
    std::optional<Secret> passphrase;
    if (!config.daemon.token_key.empty()) {
        auto key = config::resolve_secret(config.daemon.token_key);
        if (!key) {
            std::cerr << "auth: cannot read [daemon] token_key: " << key.error().message << "\n";
            return kExitUsage;
        }
        passphrase = std::move(*key);
    }
    // Open the store first: a wrong key should stop us before the user signs in.
    auto store = store::TokenStore::open_in(config.daemon.state_dir, passphrase);
    if (!store) {
        std::cerr << "auth: " << store.error().message << "\n";
        return kExitRuntimeFailure;
    }

    auto endpoints = oauth::resolve_interactive_endpoints(client);
    if (!endpoints) {
        std::cerr << "auth: " << endpoints.error().message << "\n";
        return kExitRuntimeFailure;
    }
    oauth::FlowIo io;
    io.out = &std::cout;
    io.open_browser = open_browser;
    io.redirect_timeout = timeout;
    auto grant = account->flow == config::Flow::device_code
                     ? oauth::run_device_code(client, *endpoints, io)
                     : oauth::run_authorization_code(client, *endpoints, io);
    if (!grant) {
        std::cerr << "auth: account " << account->name << " login " << login << ": "
                  << grant.error().message << "\n";
        return kExitRuntimeFailure;
    }

    store::StoredToken row;
    row.account = account->name;
    row.login = login;
    row.obtained_at = SystemClock::now();
    row.expires_at = row.obtained_at + grant->expires_in;
    row.access_token = grant->access_token;
    if (grant->refresh_token) row.refresh_token = *grant->refresh_token;
    row.scopes = grant->scope.value_or(joined(oauth::scopes_for(*account)));
    if (auto saved = store->put(row); !saved) {
        std::cerr << "auth: cannot store the tokens in " << store->file().string() << ": "
                  << saved.error().message << "\n";
        return kExitRuntimeFailure;
    }
    std::cout << "Authorized " << login << " for account " << account->name << "; tokens stored in "
              << store->file().string() << " (access token valid " << grant->expires_in.count()
              << " s" << (grant->refresh_token ? ", with a refresh token" : "") << ").\n";
    if (!grant->refresh_token)
        std::cout << "Warning: the server issued no refresh token, so this authorization ends "
                     "when the access token expires — request the offline_access scope.\n";
    return kExitOk;
}

}  // namespace mb::cli
