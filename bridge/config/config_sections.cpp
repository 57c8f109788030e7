// Reading and per-table validation of [daemon], [[server]], [[proxy]] and [[account]] (see
// config_sections.h). Defaults are those of config_model.h and CONTRACT.md.
#include "bridge/config/config_sections.h"

#include <algorithm>

#include "bridge/config/host_port.h"

namespace mb::config {
namespace {

// Range limits for the numeric [daemon] keys (documented in config/mailbridge.example.toml).
constexpr int min_log_level = 1, max_log_level = 5;
constexpr int min_connect_timeout = 1, max_connect_timeout = 600;
constexpr int min_idle_timeout = 60, max_idle_timeout = 86400;
constexpr int min_prelogin_timeout = 5, max_prelogin_timeout = 3600;
constexpr int min_block_max = 0, max_block_max = 3600;
constexpr int min_backoff_max = 0, max_backoff_max = 3600;
constexpr int min_max_sessions = 1, max_max_sessions = 1'000'000;
// Names end up on command lines and in metric labels.
constexpr std::size_t max_name_length = 64;

constexpr std::string_view protocol_names[] = {"imap", "pop3", "smtp"};
constexpr std::string_view upstream_tls_names[] = {"implicit", "starttls"};
constexpr std::string_view local_tls_names[] = {"none", "starttls", "implicit"};
constexpr std::string_view proxy_auth_names[] = {"none", "basic", "digest", "any"};
constexpr std::string_view account_auth_names[] = {"oauth2", "password"};
constexpr std::string_view sasl_names[] = {"auto", "xoauth2", "oauthbearer"};
constexpr std::string_view provider_names[] = {"microsoft", "google", "generic"};
constexpr std::string_view cloud_names[] = {"global", "usgov", "china"};
constexpr std::string_view flow_names[] = {"client_credentials", "authorization_code",
                                           "device_code"};

template <typename Enum, std::size_t N>
void read_choice(TableReader& reader, std::string_view key, const std::string_view (&names)[N],
                 Enum& target) {
    if (auto index = reader.choice_index(key, names)) target = static_cast<Enum>(*index);
}

template <typename Enum, std::size_t N>
std::string name_of(Enum value, const std::string_view (&names)[N]) {
    return "\"" + std::string(names[static_cast<std::size_t>(value)]) + "\"";
}

void report_missing(TableReader& reader, std::string_view key, std::string_view example) {
    reader.report(
        key, reader.context() + " needs " + std::string(key) + ", e.g. " + std::string(example));
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '@';
}

// A required string key; "" counts as missing. Returns "" when absent or wrong.
std::string read_required(TableReader& reader, std::string_view key, std::string_view example) {
    if (!reader.has(key)) {
        report_missing(reader, key, example);
        return {};
    }
    auto value = reader.string(key);
    if (value && value->empty())
        reader.report(key, std::string(key) + " in " + reader.context() +
                               " must not be empty, e.g. " + std::string(example));
    return value.value_or("");
}

// name: required, used on the command line and in metric labels.
std::string read_name(TableReader& reader, std::string_view example) {
    std::string name = read_required(reader, "name", example);
    if (name.size() > max_name_length) {
        reader.report("name", "name in " + reader.context() + " is longer than " +
                                  std::to_string(max_name_length) + " characters; use a short one");
        return {};
    }
    if (!std::all_of(name.begin(), name.end(), is_name_char)) {
        reader.report("name", "name \"" + name + "\" in " + reader.context() +
                                  " may contain only letters, digits and - _ . @");
        return {};
    }
    return name;
}

std::optional<HostPort> read_address(TableReader& reader, std::string_view key) {
    auto text = reader.string(key);
    if (!text) return std::nullopt;
    auto parsed = parse_host_port(*text);
    if (!parsed) {
        reader.report(key, std::string(key) + " \"" + *text + "\" in " + reader.context() +
                               " is not valid: " + parsed.error().message);
        return std::nullopt;
    }
    return std::move(parsed.value());
}

HostPort read_required_address(TableReader& reader, std::string_view key,
                               std::string_view example) {
    if (!reader.has(key)) {
        report_missing(reader, key, example);
        return {};
    }
    return read_address(reader, key).value_or(HostPort{});
}

// Endpoint and redirect URLs: "" or an http(s) URL.
std::string read_url(TableReader& reader, std::string_view key) {
    std::string url = reader.string(key).value_or("");
    if (!url.empty() && !url.starts_with("https://") && !url.starts_with("http://")) {
        reader.report(key, std::string(key) + " \"" + url + "\" in " + reader.context() +
                               " must be an https:// (or http://) URL");
        return {};
    }
    return url;
}

void read_secret(TableReader& reader, std::string_view key, bool allow_hash, SecretSource& target) {
    if (auto source = reader.secret(key, allow_hash)) target = std::move(*source);
}

// POSIX portable environment variable names: a letter or _, then letters, digits or _.
bool is_env_name(std::string_view name) {
    auto letter = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    };
    return !name.empty() && letter(name.front()) &&
           std::all_of(name.begin() + 1, name.end(),
                       [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

std::vector<std::string> read_env_names(TableReader& reader, std::string_view key) {
    auto names = reader.string_list(key);
    if (!names) return {};
    for (const std::string& name : *names) {
        if (is_env_name(name)) continue;
        reader.report(key,
                      "\"" + name + "\" in " + std::string(key) +
                          " is not an environment variable name; use letters, digits and _ "
                          "(not starting with a digit), e.g. [\"VAULT_ADDR\", \"VAULT_TOKEN\"]");
        return {};
    }
    return *names;
}

void pass_env_to_command(SecretSource& source, const std::vector<std::string>& names) {
    if (source.kind == SecretSource::Kind::command) source.command_env = names;
}

}  // namespace

DaemonSettings default_daemon_settings(const std::filesystem::path& base_dir) {
    DaemonSettings settings;
    settings.state_dir = (base_dir / settings.state_dir).lexically_normal();
    return settings;
}

DaemonSettings read_daemon(TableReader& reader, const std::filesystem::path& base_dir) {
    DaemonSettings settings = default_daemon_settings(base_dir);
    if (auto state_dir = reader.path("state_dir")) {
        if (state_dir->empty())
            reader.report("state_dir",
                          "state_dir must not be empty; name a directory for the databases, "
                          "e.g. \"state\"");
        else
            settings.state_dir = *state_dir;
    }
    settings.log_level = reader
                             .integer("log_level", min_log_level, max_log_level,
                                      "(1 errors, 2 warnings, 3 info, 4 debug, 5 trace)")
                             .value_or(settings.log_level);
    settings.log_file = reader.path("log_file").value_or(settings.log_file);
    if (auto health = reader.string("health_listen"); health && !health->empty())
        settings.health_listen = read_address(reader, "health_listen");
    else if (health || reader.failed("health_listen"))
        settings.health_listen.reset();
    settings.connect_timeout =
        reader.integer("connect_timeout", min_connect_timeout, max_connect_timeout, "seconds")
            .value_or(settings.connect_timeout);
    settings.idle_timeout =
        reader.integer("idle_timeout", min_idle_timeout, max_idle_timeout, "seconds")
            .value_or(settings.idle_timeout);
    settings.max_sessions =
        reader.integer("max_sessions", min_max_sessions, max_max_sessions, "sessions")
            .value_or(settings.max_sessions);
    settings.upstream_backoff_max =
        reader.integer("upstream_backoff_max", min_backoff_max, max_backoff_max, "seconds")
            .value_or(settings.upstream_backoff_max);
    read_secret(reader, "token_key", false, settings.token_key);
    settings.prelogin_timeout =
        reader.integer("prelogin_timeout", min_prelogin_timeout, max_prelogin_timeout, "seconds")
            .value_or(settings.prelogin_timeout);
    read_secret(reader, "admin_token", false, settings.admin_token);
    settings.failed_login_block_max =
        reader.integer("failed_login_block_max", min_block_max, max_block_max, "seconds")
            .value_or(settings.failed_login_block_max);
    settings.secret_command_env = read_env_names(reader, "secret_command_env");
    reader.report_unknown_keys();
    return settings;
}

ServerSettings read_server(TableReader& reader) {
    ServerSettings server;
    server.name = read_name(reader, "name = \"imap\"");
    if (!reader.has("protocol"))
        report_missing(reader, "protocol", "protocol = \"imap\" (imap, pop3 or smtp)");
    read_choice(reader, "protocol", protocol_names, server.protocol);
    server.listen = read_required_address(reader, "listen", "listen = \"127.0.0.1:1143\"");
    server.upstream =
        read_required_address(reader, "upstream", "upstream = \"outlook.office365.com:993\"");
    read_choice(reader, "upstream_tls", upstream_tls_names, server.upstream_tls);
    server.ca_file = reader.existing_file("ca_file", "PEM trust anchors").value_or("");
    server.verify = reader.boolean("verify").value_or(server.verify);
    read_choice(reader, "local_tls", local_tls_names, server.local_tls);
    server.local_cert = reader.existing_file("local_cert", "PEM certificate chain").value_or("");
    server.local_key = reader.existing_file("local_key", "PEM private key").value_or("");
    if (server.local_tls != LocalTls::none && !reader.failed("local_tls")) {
        const std::string mode = name_of(server.local_tls, local_tls_names);
        if (server.local_cert.empty() && !reader.failed("local_cert"))
            reader.report("local_tls", "local_tls = " + mode +
                                           " needs local_cert (a PEM certificate chain "
                                           "for the local listener); set it or use "
                                           "local_tls = \"none\"");
        if (server.local_key.empty() && !reader.failed("local_key"))
            reader.report("local_tls", "local_tls = " + mode +
                                           " needs local_key (the PEM private key of "
                                           "local_cert); set it or use "
                                           "local_tls = \"none\"");
    }
    server.proxy = reader.string("proxy").value_or("");
    reader.report_unknown_keys();
    return server;
}

ProxySettings read_proxy(TableReader& reader) {
    ProxySettings proxy;
    proxy.name = read_name(reader, "name = \"corp\"");
    proxy.url = read_required(reader, "url", "url = \"http://proxy.example.com:3128\"");
    if (!proxy.url.empty()) {
        auto parsed = parse_proxy_url(proxy.url);
        if (parsed) {
            proxy.https = parsed->https;
            proxy.address = parsed->address;
        } else {
            reader.report("url", "url \"" + proxy.url + "\" in " + reader.context() + " " +
                                     parsed.error().message);
        }
    }
    read_choice(reader, "auth", proxy_auth_names, proxy.auth);
    proxy.username = reader.string("username").value_or("");
    read_secret(reader, "password", false, proxy.password);
    if ((proxy.auth == ProxyAuth::basic || proxy.auth == ProxyAuth::digest) &&
        proxy.username.empty() && !reader.failed("username"))
        reader.report(
            "auth", "auth = " + name_of(proxy.auth, proxy_auth_names) + " in " + reader.context() +
                        " needs username (and password); set them or use auth = \"none\"");
    proxy.ca_file = reader.existing_file("ca_file", "PEM trust anchors").value_or("");
    proxy.no_proxy = reader.string_list("no_proxy").value_or(proxy.no_proxy);
    reader.report_unknown_keys();
    return proxy;
}

namespace {

void check_login_pattern(TableReader& reader, const std::string& login) {
    auto star = login.find('*');
    if (star == std::string::npos) return;
    bool domain_pattern =
        login.starts_with("*@") && login.size() > 2 && login.find('*', 1) == std::string::npos;
    if (!domain_pattern)
        reader.report("login",
                      "login \"" + login + "\" in " + reader.context() +
                          " is not supported: the only pattern is \"*@domain\" (a whole domain)");
}

// What an oauth2 account needs to get a token from its provider. A check runs only when the
// keys it looks at were read without problems, so one mistake yields one diagnostic.
void check_oauth_settings(TableReader& reader, const AccountSettings& account) {
    const std::string& where = reader.context();
    auto all_fine = [&](std::initializer_list<std::string_view> keys) {
        return std::none_of(keys.begin(), keys.end(),
                            [&](std::string_view key) { return reader.failed(key); });
    };
    if (account.client_id.empty() && all_fine({"client_id"}))
        reader.report("client_id", where +
                                       " with auth = \"oauth2\" needs client_id (the "
                                       "application id registered with the provider)");
    if (account.provider == Provider::microsoft && account.tenant.empty() &&
        all_fine({"provider", "tenant"}))
        reader.report("provider", "provider = \"microsoft\" in " + where +
                                      " needs tenant (the tenant id or domain, e.g. "
                                      "\"contoso.onmicrosoft.com\")");
    if (!all_fine({"provider", "flow"})) return;
    if (account.provider == Provider::google && account.flow == Flow::client_credentials) {
        reader.report("flow", "provider = \"google\" in " + where +
                                  " does not offer client_credentials for mail; use flow = "
                                  "\"authorization_code\" or \"device_code\"");
        return;
    }
    if (account.flow == Flow::client_credentials && account.client_secret.empty() &&
        all_fine({"client_secret"}))
        reader.report("flow", "flow = \"client_credentials\" in " + where +
                                  " needs client_secret (the application's secret)");
    if (account.provider != Provider::generic || !account.issuer.empty() ||
        !all_fine({"issuer", "token_endpoint", "authorization_endpoint",
                   "device_authorization_endpoint"}))
        return;
    if (account.token_endpoint.empty())
        reader.report("provider", "provider = \"generic\" in " + where +
                                      " needs issuer (for OpenID discovery) or token_endpoint");
    if (account.flow == Flow::authorization_code && account.authorization_endpoint.empty())
        reader.report("flow", "flow = \"authorization_code\" with provider = \"generic\" in " +
                                  where + " needs issuer or authorization_endpoint");
    if (account.flow == Flow::device_code && account.device_authorization_endpoint.empty())
        reader.report("flow", "flow = \"device_code\" with provider = \"generic\" in " + where +
                                  " needs issuer or device_authorization_endpoint");
}

}  // namespace

AccountSettings read_account(TableReader& reader) {
    AccountSettings account;
    account.name = read_name(reader, "name = \"alice\"");
    account.login = read_required(reader, "login", "login = \"alice@example.com\"");
    check_login_pattern(reader, account.login);
    read_secret(reader, "local_password", true, account.local_password);
    read_secret(reader, "local_passwords", false, account.local_passwords);
    if (!account.local_passwords.empty() && !account.login.starts_with("*@") &&
        !reader.failed("login"))
        reader.report("local_passwords", "local_passwords in " + reader.context() +
                                             " is for a \"*@domain\" login; an account for one "
                                             "login takes local_password");
    account.upstream_user = reader.string("upstream_user").value_or("");
    read_choice(reader, "auth", account_auth_names, account.auth);
    read_secret(reader, "upstream_password", false, account.upstream_password);
    read_choice(reader, "sasl", sasl_names, account.sasl);
    read_choice(reader, "provider", provider_names, account.provider);
    account.tenant = reader.string("tenant").value_or("");
    read_choice(reader, "cloud", cloud_names, account.cloud);
    read_choice(reader, "flow", flow_names, account.flow);
    account.client_id = reader.string("client_id").value_or("");
    read_secret(reader, "client_secret", false, account.client_secret);
    account.scopes = reader.string_list("scopes").value_or(account.scopes);
    account.issuer = read_url(reader, "issuer");
    account.token_endpoint = read_url(reader, "token_endpoint");
    account.authorization_endpoint = read_url(reader, "authorization_endpoint");
    account.device_authorization_endpoint = read_url(reader, "device_authorization_endpoint");
    if (auto redirect_uri = read_url(reader, "redirect_uri"); !redirect_uri.empty())
        account.redirect_uri = redirect_uri;
    account.proxy = reader.string("proxy").value_or("");

    if (reader.failed("auth")) {
        reader.report_unknown_keys();
        return account;
    }
    if (account.auth == AccountAuth::password) {
        if (account.upstream_password.empty() && !reader.failed("upstream_password"))
            reader.report("auth", "auth = \"password\" in " + reader.context() +
                                      " needs upstream_password (the upstream mailbox password)");
    } else {
        check_oauth_settings(reader, account);
        // One shared local password would let every login of the domain use any other login's
        // own token: such accounts check each login's password.
        const bool per_login_tokens =
            account.flow == Flow::authorization_code || account.flow == Flow::device_code;
        if (per_login_tokens && account.login.starts_with("*@") &&
            account.local_passwords.empty() && !reader.failed("flow") &&
            !reader.failed("local_passwords"))
            reader.report("local_passwords",
                          reader.context() + " matches every login of a domain (\"" +
                              account.login +
                              "\") and its flow gives each login its own token: "
                              "set local_passwords (lines \"login:hash\") so each login has its "
                              "own local password, e.g. local_passwords = { file = "
                              "\"passwords.txt\" }");
    }
    reader.report_unknown_keys();
    return account;
}

void pass_secret_command_env(Config& config) {
    const auto& names = config.daemon.secret_command_env;
    pass_env_to_command(config.daemon.token_key, names);
    pass_env_to_command(config.daemon.admin_token, names);
    for (ProxySettings& proxy : config.proxies) pass_env_to_command(proxy.password, names);
    for (AccountSettings& account : config.accounts) {
        pass_env_to_command(account.local_password, names);
        pass_env_to_command(account.local_passwords, names);
        pass_env_to_command(account.upstream_password, names);
        pass_env_to_command(account.client_secret, names);
    }
}

}  // namespace mb::config
