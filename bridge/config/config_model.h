// The typed configuration: what a validated mailbridge TOML file means. Built by ConfigLoader;
// read (never mutated) by the daemon, sessions and CLI. Keys and defaults follow CONTRACT.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "protocol/secret.h"

namespace mb::config {

// Where a secret comes from; resolved (without blocking the loop) into a Secret.
struct SecretSource {
    enum class Kind { none, literal, env, file, command, hash };
    Kind kind = Kind::none;
    std::string literal;               // kind == literal (the value) or hash (the encoded hash)
    std::string env_name;              // kind == env
    std::filesystem::path file;        // kind == file (resolved against the config file)
    std::vector<std::string> command;  // kind == command
    // kind == command: variables the command gets from mailbridge's environment beside the
    // fixed few (PATH, HOME, LANG, …); copied from [daemon] secret_command_env by the loader.
    std::vector<std::string> command_env;
    bool empty() const { return kind == Kind::none || (kind == Kind::literal && literal.empty()); }
    bool operator==(const SecretSource&) const = default;
};

struct HostPort {
    std::string host;  // name or address literal (IPv6 without brackets)
    uint16_t port = 0;
    std::string to_string() const;
    bool operator==(const HostPort&) const = default;
};

enum class Protocol { imap, pop3, smtp };
enum class UpstreamTls { implicit, starttls };
enum class LocalTls { none, starttls, implicit };
enum class ProxyAuth { none, basic, digest, any };
enum class AccountAuth { oauth2, password };
enum class SaslMechanism { auto_select, xoauth2, oauthbearer };
enum class Provider { microsoft, google, generic };
enum class Cloud { global, usgov, china };
enum class Flow { client_credentials, authorization_code, device_code };

struct DaemonSettings {
    std::filesystem::path state_dir = "state";
    int log_level = 3;
    std::filesystem::path log_file;                                       // empty = stderr
    std::optional<HostPort> health_listen = HostPort{"127.0.0.1", 8025};  // nullopt = disabled
    int connect_timeout = 10;                                             // seconds
    int idle_timeout = 1800;                                              // seconds
    int max_sessions = 20000;
    int upstream_backoff_max = 60;    // seconds; 0 = no backoff after failed upstream logins
    SecretSource token_key;           // none = key file in state_dir
    int prelogin_timeout = 60;        // seconds a client may stay connected without logging in
    int failed_login_block_max = 30;  // seconds; longest block after wrong local passwords; 0 = off
    SecretSource admin_token;  // the admin secret for POSTs and the admin page on health_listen
    std::vector<std::string> secret_command_env;  // extra variables secret commands receive
};

struct ServerSettings {
    std::string name;
    Protocol protocol = Protocol::imap;
    HostPort listen;
    HostPort upstream;
    UpstreamTls upstream_tls = UpstreamTls::implicit;
    std::filesystem::path ca_file;  // empty = system store
    bool verify = true;
    LocalTls local_tls = LocalTls::none;
    std::filesystem::path local_cert;
    std::filesystem::path local_key;
    std::string proxy;  // name of a [[proxy]], empty = direct
    bool operator==(const ServerSettings&) const = default;
};

struct ProxySettings {
    std::string name;
    std::string url;     // as written
    bool https = false;  // scheme https:// = TLS to the proxy
    HostPort address;    // parsed from url
    ProxyAuth auth = ProxyAuth::any;
    std::string username;
    SecretSource password;
    std::filesystem::path ca_file;
    std::vector<std::string> no_proxy;
    bool operator==(const ProxySettings&) const = default;
};

struct AccountSettings {
    std::string name;
    std::string login;  // exact login, or "*@domain"
    SecretSource local_password;
    SecretSource
        local_passwords;        // lines "login:hash": per-login passwords of a "*@domain" account
    std::string upstream_user;  // empty = the login name
    AccountAuth auth = AccountAuth::oauth2;
    SecretSource upstream_password;
    SaslMechanism sasl = SaslMechanism::auto_select;
    Provider provider = Provider::generic;
    std::string tenant;
    Cloud cloud = Cloud::global;
    Flow flow = Flow::client_credentials;
    std::string client_id;
    SecretSource client_secret;
    std::vector<std::string> scopes;
    std::string issuer;
    std::string token_endpoint;
    std::string authorization_endpoint;
    std::string device_authorization_endpoint;
    std::string redirect_uri = "http://localhost:9999/callback";
    std::string proxy;  // empty = the proxy of the server in use
    bool operator==(const AccountSettings&) const = default;
};

struct Config {
    std::filesystem::path source;  // the file it was loaded from
    DaemonSettings daemon;
    std::vector<ServerSettings> servers;
    std::vector<ProxySettings> proxies;
    std::vector<AccountSettings> accounts;

    const ProxySettings* find_proxy(const std::string& name) const;
    const AccountSettings* find_account(const std::string& name) const;
    const ServerSettings* find_server(const std::string& name) const;
};

}  // namespace mb::config
