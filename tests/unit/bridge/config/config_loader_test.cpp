// Tests of load_config_text / load_config_file: a full file into the structs, the example file,
// every kind of problem at its line:column, exactly-N counting and defaults.
#include "bridge/config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "scratch_dir.h"

namespace mb::config {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path data_dir = std::filesystem::path(MB_TEST_DATA_DIR) / "config";

// A valid server and account that problem tests extend.
constexpr std::string_view valid_base = R"([[server]]
name = "imap"
protocol = "imap"
listen = "127.0.0.1:1143"
upstream = "imap.example.com:993"

[[account]]
name = "alice"
login = "alice@example.com"
issuer = "https://id.example.com"
client_id = "cid"
client_secret = "s3cret"
)";
constexpr int valid_base_lines = 12;

LoadResult load(std::string_view text) {
    return load_config_text(text, data_dir / "inline.toml");
}

std::string describe(const LoadResult& result) {
    std::string all;
    for (const auto& problem : result.problems) all += problem.to_string() + "\n";
    return all;
}

// Expects exactly one problem, at line:column, whose message contains every fragment.
void expect_one_problem(std::string_view text, int line, int column,
                        std::initializer_list<std::string_view> fragments) {
    LoadResult result = load(text);
    ASSERT_EQ(result.problems.size(), 1u) << text << "\n--\n" << describe(result);
    EXPECT_FALSE(result.config.has_value());
    const Diagnostic& problem = result.problems.front();
    EXPECT_EQ(problem.line, line) << problem.to_string();
    EXPECT_EQ(problem.column, column) << problem.to_string();
    for (std::string_view fragment : fragments)
        EXPECT_THAT(problem.message, HasSubstr(std::string(fragment))) << problem.to_string();
}

std::string with_base(std::string_view extra) {
    return std::string(valid_base) + std::string(extra);
}

TEST(ConfigLoader, BaseIsValid) {
    LoadResult result = load(valid_base);
    EXPECT_TRUE(result.problems.empty()) << describe(result);
    ASSERT_TRUE(result.config.has_value());
}

TEST(ConfigLoader, VerifyFalseLoadsWithoutPasswordAccounts) {
    LoadResult result = load(R"([[server]]
name = "imap"
protocol = "imap"
listen = "127.0.0.1:1143"
upstream = "imap.example.com:993"
verify = false
)");
    ASSERT_TRUE(result.config.has_value()) << describe(result);
    EXPECT_FALSE(result.config->servers[0].verify);
}

TEST(ConfigLoader, VerifyFalseBesideAPasswordAccountIsRefused) {
    expect_one_problem(R"([[server]]
name = "imap"
protocol = "imap"
listen = "127.0.0.1:1143"
upstream = "imap.example.com:993"
verify = false

[[account]]
name = "legacy"
login = "dave@example.net"
auth = "password"
upstream_password = "pw-of-dave"
)",
                       6, 10, {"verify = false", "\"legacy\"", "not checked", "verify = true"});
}

TEST(ConfigLoader, DomainAccountWithPerLoginTokensNeedsPerLoginPasswords) {
    constexpr std::string_view domain_account = R"([[server]]
name = "imap"
protocol = "imap"
listen = "127.0.0.1:1143"
upstream = "imap.example.com:993"

[[account]]
name = "staff"
login = "*@example.com"
local_password = "one-for-all"
issuer = "https://id.example.com"
client_id = "cid"
flow = "authorization_code"
)";
    expect_one_problem(domain_account, 7, 1, {"*@example.com", "local_passwords", "login:hash"});
    LoadResult fixed = load(std::string(domain_account) +
                            "local_passwords = { file = \"secrets/client_secret.txt\" }\n");
    ASSERT_TRUE(fixed.config.has_value()) << describe(fixed);
    EXPECT_EQ(fixed.config->accounts[0].local_passwords.kind, SecretSource::Kind::file);
    // A client-credentials token is the account's own: one shared password is fine there.
    std::string shared(domain_account);
    shared.replace(shared.find("authorization_code"), 18, "client_credentials");
    EXPECT_TRUE(load(shared + "client_secret = \"s\"\n").config.has_value());
}

TEST(ConfigLoader, LocalPasswordsIsForDomainAccounts) {
    expect_one_problem(with_base("local_passwords = \"alice@example.com:x\"\n"),
                       valid_base_lines + 1, 19, {"local_passwords", "*@domain", "local_password"});
}

TEST(ConfigLoader, FullFileArrivesInTheStructs) {
    ::setenv("MB_CONFIG_TEST_TOKEN_KEY", "token-key-value", 1);
    LoadResult result = load_config_file(data_dir / "full.toml");
    ASSERT_TRUE(result.problems.empty()) << describe(result);
    ASSERT_TRUE(result.config.has_value());
    const Config& config = *result.config;
    EXPECT_EQ(config.source, data_dir / "full.toml");

    EXPECT_EQ(config.daemon.state_dir, data_dir / "var/state");
    EXPECT_EQ(config.daemon.log_level, 4);
    EXPECT_EQ(config.daemon.log_file, data_dir / "var/mailbridge.log");
    ASSERT_TRUE(config.daemon.health_listen.has_value());
    EXPECT_EQ(config.daemon.health_listen->host, "::1");
    EXPECT_EQ(config.daemon.health_listen->port, 9025);
    EXPECT_EQ(config.daemon.health_listen->to_string(), "[::1]:9025");
    EXPECT_EQ(config.daemon.connect_timeout, 20);
    EXPECT_EQ(config.daemon.idle_timeout, 600);
    EXPECT_EQ(config.daemon.max_sessions, 50);
    EXPECT_EQ(config.daemon.token_key.kind, SecretSource::Kind::env);
    EXPECT_EQ(config.daemon.token_key.env_name, "MB_CONFIG_TEST_TOKEN_KEY");
    EXPECT_EQ(config.daemon.prelogin_timeout, 30);
    EXPECT_EQ(config.daemon.failed_login_block_max, 120);
    EXPECT_EQ(config.daemon.admin_token.kind, SecretSource::Kind::env);
    const std::vector<std::string> vault_names{"VAULT_ADDR", "VAULT_TOKEN"};
    EXPECT_EQ(config.daemon.secret_command_env, vault_names);

    ASSERT_EQ(config.servers.size(), 3u);
    const ServerSettings& imap = config.servers[0];
    EXPECT_EQ(imap.name, "imap");
    EXPECT_EQ(imap.protocol, Protocol::imap);
    EXPECT_EQ(imap.listen.to_string(), "127.0.0.1:1143");
    EXPECT_EQ(imap.upstream.host, "outlook.office365.com");
    EXPECT_EQ(imap.upstream.port, 993);
    EXPECT_EQ(imap.upstream_tls, UpstreamTls::implicit);
    EXPECT_EQ(imap.ca_file, data_dir / "certs/ca.pem");
    EXPECT_EQ(imap.local_tls, LocalTls::starttls);
    EXPECT_EQ(imap.local_cert, data_dir / "certs/local.crt");
    EXPECT_EQ(imap.local_key, data_dir / "certs/local.key");
    EXPECT_EQ(imap.proxy, "corp");
    const ServerSettings& smtp = config.servers[1];
    EXPECT_EQ(smtp.protocol, Protocol::smtp);
    EXPECT_EQ(smtp.upstream_tls, UpstreamTls::starttls);
    EXPECT_TRUE(smtp.verify);
    EXPECT_EQ(smtp.local_tls, LocalTls::none);
    EXPECT_TRUE(smtp.ca_file.empty());
    EXPECT_TRUE(smtp.proxy.empty());
    const ServerSettings& pop3 = config.servers[2];
    EXPECT_EQ(pop3.protocol, Protocol::pop3);
    EXPECT_EQ(pop3.upstream.host, "2001:db8::1");
    EXPECT_EQ(pop3.local_tls, LocalTls::implicit);

    ASSERT_EQ(config.proxies.size(), 2u);
    const ProxySettings& corp = config.proxies[0];
    EXPECT_EQ(corp.url, "https://proxy.example.com:8443/");
    EXPECT_TRUE(corp.https);
    EXPECT_EQ(corp.address.to_string(), "proxy.example.com:8443");
    EXPECT_EQ(corp.auth, ProxyAuth::digest);
    EXPECT_EQ(corp.username, "proxyuser");
    EXPECT_EQ(corp.password.kind, SecretSource::Kind::file);
    EXPECT_EQ(corp.password.file, data_dir / "secrets/client_secret.txt");
    EXPECT_EQ(corp.ca_file, data_dir / "certs/ca.pem");
    EXPECT_EQ(corp.no_proxy, (std::vector<std::string>{"localhost", ".internal.example.com"}));
    const ProxySettings& plain = config.proxies[1];
    EXPECT_FALSE(plain.https);
    EXPECT_EQ(plain.address.to_string(), "10.0.0.1:80");
    EXPECT_EQ(plain.auth, ProxyAuth::none);

    ASSERT_EQ(config.accounts.size(), 3u);
    const AccountSettings& contoso = config.accounts[0];
    EXPECT_EQ(contoso.login, "*@Contoso.com");
    EXPECT_EQ(contoso.local_password.kind, SecretSource::Kind::hash);
    EXPECT_EQ(contoso.local_password.literal, "$test$hash");
    EXPECT_EQ(contoso.upstream_user, "shared@contoso.com");
    EXPECT_EQ(contoso.auth, AccountAuth::oauth2);
    EXPECT_EQ(contoso.sasl, SaslMechanism::xoauth2);
    EXPECT_EQ(contoso.provider, Provider::microsoft);
    EXPECT_EQ(contoso.tenant, "contoso.onmicrosoft.com");
    EXPECT_EQ(contoso.cloud, Cloud::usgov);
    EXPECT_EQ(contoso.flow, Flow::client_credentials);
    EXPECT_EQ(contoso.client_id, "11111111-2222-3333-4444-555555555555");
    EXPECT_EQ(contoso.client_secret.kind, SecretSource::Kind::command);
    EXPECT_EQ(contoso.client_secret.command,
              (std::vector<std::string>{"printf", "%s\n", "from-command"}));
    EXPECT_EQ(contoso.client_secret.command_env, vault_names);
    EXPECT_EQ(contoso.scopes, (std::vector<std::string>{"https://outlook.office365.com/.default"}));
    EXPECT_EQ(contoso.redirect_uri, "http://127.0.0.1:8765/cb");
    EXPECT_EQ(contoso.proxy, "plain");
    const AccountSettings& generic = config.accounts[1];
    EXPECT_EQ(generic.local_password.kind, SecretSource::Kind::literal);
    EXPECT_EQ(generic.local_password.literal, "literal-password");
    EXPECT_EQ(generic.provider, Provider::generic);
    EXPECT_EQ(generic.flow, Flow::device_code);
    EXPECT_EQ(generic.sasl, SaslMechanism::oauthbearer);
    EXPECT_EQ(generic.issuer, "http://127.0.0.1:4444");
    EXPECT_EQ(generic.token_endpoint, "http://127.0.0.1:4444/token");
    EXPECT_EQ(generic.authorization_endpoint, "http://127.0.0.1:4444/auth");
    EXPECT_EQ(generic.device_authorization_endpoint, "http://127.0.0.1:4444/device");
    EXPECT_EQ(generic.client_secret.kind, SecretSource::Kind::none);
    EXPECT_EQ(generic.redirect_uri, "http://localhost:9999/callback");
    const AccountSettings& legacy = config.accounts[2];
    EXPECT_EQ(legacy.auth, AccountAuth::password);
    EXPECT_EQ(legacy.upstream_password.kind, SecretSource::Kind::file);
    EXPECT_EQ(legacy.local_password.kind, SecretSource::Kind::none);

    EXPECT_EQ(config.find_server("smtp"), &config.servers[1]);
    EXPECT_EQ(config.find_proxy("plain"), &config.proxies[1]);
    EXPECT_EQ(config.find_account("legacy"), &config.accounts[2]);
    EXPECT_EQ(config.find_account("nobody"), nullptr);
    ::unsetenv("MB_CONFIG_TEST_TOKEN_KEY");
}

TEST(ConfigLoader, ExampleFileLoadsWithoutProblems) {
    auto example = std::filesystem::path(MB_TEST_DATA_DIR) / "../../config/mailbridge.example.toml";
    LoadResult result = load_config_file(example);
    EXPECT_TRUE(result.problems.empty()) << describe(result);
    ASSERT_TRUE(result.config.has_value());
    EXPECT_EQ(result.config->servers.size(), 3u);
    EXPECT_EQ(result.config->proxies.size(), 1u);
    EXPECT_EQ(result.config->accounts.size(), 2u);
}

TEST(ConfigLoader, DefaultsFollowTheContract) {
    LoadResult result = load(valid_base);
    ASSERT_TRUE(result.config.has_value()) << describe(result);
    const Config& config = *result.config;
    EXPECT_EQ(config.daemon.state_dir, data_dir / "state");
    EXPECT_EQ(config.daemon.log_level, 3);
    EXPECT_TRUE(config.daemon.log_file.empty());
    ASSERT_TRUE(config.daemon.health_listen.has_value());
    EXPECT_EQ(config.daemon.health_listen->to_string(), "127.0.0.1:8025");
    EXPECT_EQ(config.daemon.connect_timeout, 10);
    EXPECT_EQ(config.daemon.idle_timeout, 1800);
    EXPECT_EQ(config.daemon.max_sessions, 20000);
    EXPECT_EQ(config.daemon.token_key.kind, SecretSource::Kind::none);
    const ServerSettings& server = config.servers.front();
    EXPECT_EQ(server.upstream_tls, UpstreamTls::implicit);
    EXPECT_TRUE(server.verify);
    EXPECT_EQ(server.local_tls, LocalTls::none);
    const AccountSettings& account = config.accounts.front();
    EXPECT_EQ(account.auth, AccountAuth::oauth2);
    EXPECT_EQ(account.sasl, SaslMechanism::auto_select);
    EXPECT_EQ(account.provider, Provider::generic);
    EXPECT_EQ(account.cloud, Cloud::global);
    EXPECT_EQ(account.flow, Flow::client_credentials);
    EXPECT_TRUE(account.scopes.empty());
    EXPECT_EQ(account.redirect_uri, "http://localhost:9999/callback");
}

TEST(ConfigLoader, EmptyHealthListenDisablesIt) {
    LoadResult result = load("[daemon]\nhealth_listen = \"\"\n" + std::string(valid_base));
    ASSERT_TRUE(result.config.has_value()) << describe(result);
    EXPECT_FALSE(result.config->daemon.health_listen.has_value());
}

TEST(ConfigLoader, EmptyFileIsValid) {
    LoadResult result = load("");
    EXPECT_TRUE(result.problems.empty()) << describe(result);
    EXPECT_TRUE(result.config.has_value());
}

TEST(ConfigLoader, TomlSyntaxErrorIsOneDiagnosticAtItsPlace) {
    expect_one_problem("[daemon]\nlog_level = 3\nlog_file = [1, 2\n", 3, 18, {"not valid TOML"});
    expect_one_problem("[daemon\n", 1, 8, {"not valid TOML"});
    expect_one_problem("a = \"unterminated\n", 1, 18, {"not valid TOML"});
}

TEST(ConfigLoader, UnknownKeyInServerSuggestsTheNearestKey) {
    expect_one_problem(with_base("[[server]]\nname = \"b\"\nprotocol = \"pop3\"\nlisten = "
                                 "\"127.0.0.1:1110\"\nupstream = \"h:995\"\nlistn = \"x\"\n"),
                       valid_base_lines + 6, 1,
                       {"unknown key \"listn\" in [[server]] (did you mean \"listen\"?)"});
}

TEST(ConfigLoader, MisspeltRequiredKeyIsMissingAndUnknown) {
    LoadResult result = load(
        "[[server]]\nname = \"a\"\nprotocol = \"imap\"\nlistn = "
        "\"127.0.0.1:1\"\nupstream = \"h:1\"\n");
    ASSERT_EQ(result.problems.size(), 2u) << describe(result);
    EXPECT_THAT(result.problems[0].message, HasSubstr("[[server]] needs listen"));
    EXPECT_EQ(result.problems[1].line, 4);
    EXPECT_THAT(result.problems[1].message, HasSubstr("(did you mean \"listen\"?)"));
}

TEST(ConfigLoader, UnknownKeyWithoutNearKeyPointsToTheExample) {
    expect_one_problem(with_base("[daemon]\nfrobnicate = 1\n"), valid_base_lines + 2, 1,
                       {"unknown key \"frobnicate\" in [daemon]", "mailbridge.example.toml"});
}

TEST(ConfigLoader, UnknownTopLevelTable) {
    expect_one_problem(with_base("[demon]\nlog_level = 3\n"), valid_base_lines + 1, 2,
                       {"unknown key \"demon\" at the top level (did you mean \"daemon\"?)"});
    expect_one_problem("color = true\n" + std::string(valid_base), 1, 1,
                       {"unknown key \"color\" at the top level", "[[account]]"});
}

TEST(ConfigLoader, SecretCommandEnvTakesVariableNamesOnly) {
    expect_one_problem("[daemon]\nsecret_command_env = [\"VAULT_ADDR\", \"1BAD\"]\n", 2, 22,
                       {"\"1BAD\" in secret_command_env is not an environment variable name"});
    expect_one_problem("[daemon]\nsecret_command_env = [\"A=B\"]\n", 2, 22,
                       {"\"A=B\"", "not an environment variable name"});
    expect_one_problem("[daemon]\nsecret_command_env = \"VAULT_ADDR\"\n", 2, 22,
                       {"secret_command_env in [daemon] must be an array of strings"});
}

TEST(ConfigLoader, UnknownKeyInsideASecretTable) {
    expect_one_problem("[daemon]\ntoken_key = { evn = \"X\" }\n", 2, 15,
                       {"unknown key \"evn\"", "(did you mean \"env\"?)", "token_key"});
}

TEST(ConfigLoader, WrongTypes) {
    expect_one_problem("[daemon]\nconnect_timeout = \"10\"\n", 2, 19,
                       {"connect_timeout in [daemon] must be an integer", "not a string"});
    expect_one_problem("[daemon]\nlog_level = 3.5\n", 2, 13, {"must be an integer"});
    expect_one_problem(with_base("[[server]]\nname = \"b\"\nprotocol = \"pop3\"\nlisten = "
                                 "\"127.0.0.1:1110\"\nupstream = \"h:995\"\nverify = \"no\"\n"),
                       valid_base_lines + 6, 10, {"verify in [[server]] must be true or false"});
    expect_one_problem("[[proxy]]\nname = \"p\"\nurl = \"http://p:1\"\nno_proxy = [\"a\", 3]\n", 4,
                       18, {"each entry of no_proxy", "must be a string"});
    expect_one_problem("[[proxy]]\nname = \"p\"\nurl = \"http://p:1\"\nno_proxy = \"a\"\n", 4, 12,
                       {"no_proxy in [[proxy]] must be an array of strings"});
    expect_one_problem("[daemon]\ntoken_key = 5\n", 2, 13,
                       {"token_key in [daemon] must be a string or a table"});
    expect_one_problem("daemon = 1\n", 1, 10, {"daemon must be a single table"});
    expect_one_problem("[server]\nname = \"x\"\n", 1, 1, {"must be written [[server]]"});
    expect_one_problem("server = [1]\n", 1, 11, {"each [[server]] must be a table"});
}

TEST(ConfigLoader, BadEnumValueListsTheAllowedOnes) {
    expect_one_problem(
        "[[server]]\nname = \"a\"\nprotocol = \"imap4\"\nlisten = "
        "\"127.0.0.1:1\"\nupstream = \"h:1\"\n",
        3, 12,
        {"protocol = \"imap4\" in [[server]] is not allowed",
         "\"imap\", \"pop3\", "
         "\"smtp\"",
         "(did you mean \"imap\"?)"});
    expect_one_problem(with_base("sasl = \"plain\"\n"), valid_base_lines + 1, 8,
                       {"\"auto\", \"xoauth2\", \"oauthbearer\""});
}

TEST(ConfigLoader, BadAddresses) {
    auto server_with_listen = [](std::string_view listen) {
        return "[[server]]\nname = \"a\"\nprotocol = \"imap\"\nlisten = \"" + std::string(listen) +
               "\"\nupstream = \"h:1\"\n";
    };
    expect_one_problem(server_with_listen("127.0.0.1"), 4, 10, {"listen \"127.0.0.1\"", "no port"});
    expect_one_problem(server_with_listen("127.0.0.1:0"), 4, 10, {"from 1 to 65535"});
    expect_one_problem(server_with_listen("127.0.0.1:65536"), 4, 10, {"from 1 to 65535"});
    expect_one_problem(server_with_listen("127.0.0.1:http"), 4, 10, {"from 1 to 65535"});
    expect_one_problem(server_with_listen("::1:143"), 4, 10, {"needs brackets"});
    expect_one_problem(server_with_listen("[::g]:143"), 4, 10, {"not an IPv6 address"});
    expect_one_problem(server_with_listen("[::1]143"), 4, 10, {"after \"]\""});
    expect_one_problem(server_with_listen("bad host:143"), 4, 10, {"not allowed"});
    expect_one_problem(server_with_listen(":143"), 4, 10, {"host is empty"});
    expect_one_problem("[daemon]\nhealth_listen = \"localhost\"\n", 2, 17, {"health_listen"});
    EXPECT_TRUE(load(server_with_listen("[::1]:1143")).problems.empty());
    EXPECT_TRUE(load(server_with_listen("localhost:1143")).problems.empty());
}

TEST(ConfigLoader, MissingRequiredKeysAreReportedAtTheTable) {
    expect_one_problem("[[server]]\nname = \"a\"\nprotocol = \"imap\"\nlisten = \"127.0.0.1:1\"\n",
                       1, 1, {"[[server]] needs upstream"});
    expect_one_problem("[[server]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\nupstream = \"h:1\"\n",
                       1, 1, {"[[server]] needs protocol"});
    expect_one_problem(
        "\n[[server]]\nprotocol = \"imap\"\nlisten = \"127.0.0.1:1\"\nupstream = "
        "\"h:1\"\n",
        2, 1, {"[[server]] needs name"});
    expect_one_problem("[[proxy]]\nname = \"p\"\n", 1, 1, {"[[proxy]] needs url"});
    expect_one_problem("[[proxy]]\nurl = \"http://p\"\n", 1, 1, {"[[proxy]] needs name"});
    expect_one_problem(
        "[[account]]\nname = \"a\"\nissuer = \"https://i\"\nclient_id = "
        "\"c\"\nclient_secret = \"s\"\n",
        1, 1, {"[[account]] needs login"});
    expect_one_problem(
        "[[account]]\nname = \"\"\nlogin = \"a@b\"\nissuer = \"https://i\"\n"
        "client_id = \"c\"\nclient_secret = \"s\"\n",
        2, 8, {"name in [[account]] must not be empty"});
}

TEST(ConfigLoader, NameCharactersAreLimited) {
    expect_one_problem("[[proxy]]\nname = \"my proxy\"\nurl = \"http://p\"\n", 2, 8,
                       {"may contain only"});
}

TEST(ConfigLoader, ServerNamingAnUnknownProxy) {
    expect_one_problem(
        "[[proxy]]\nname = \"corp\"\nurl = \"http://p:3128\"\n[[server]]\nname = "
        "\"a\"\nprotocol = \"imap\"\nlisten = \"127.0.0.1:1\"\nupstream = "
        "\"h:1\"\nproxy = \"crop\"\n",
        9, 9, {"proxy \"crop\" in [[server]] is not defined", "\"corp\""});
}

TEST(ConfigLoader, AccountNamingAnUnknownProxy) {
    expect_one_problem(with_base("proxy = \"corp\"\n"), valid_base_lines + 1, 9,
                       {"proxy \"corp\" in [[account]] is not defined"});
}

TEST(ConfigLoader, DuplicateNames) {
    expect_one_problem(with_base("[[server]]\nname = \"imap\"\nprotocol = \"imap\"\nlisten = "
                                 "\"127.0.0.1:2\"\nupstream = \"h:1\"\n"),
                       valid_base_lines + 2, 8,
                       {"[[server]] name \"imap\" is already used at line 2"});
    expect_one_problem(
        "[[proxy]]\nname = \"p\"\nurl = \"http://a\"\n[[proxy]]\nname = \"p\"\nurl "
        "= \"http://b\"\n",
        5, 8, {"[[proxy]] name \"p\" is already used at line 2"});
    expect_one_problem(with_base("[[account]]\nname = \"alice\"\nlogin = \"other@example.com\"\n"
                                 "issuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = "
                                 "\"s\"\n"),
                       valid_base_lines + 2, 8, {"[[account]] name \"alice\" is already used"});
}

TEST(ConfigLoader, DuplicateListenAddresses) {
    expect_one_problem(with_base("[[server]]\nname = \"b\"\nprotocol = \"pop3\"\nlisten = "
                                 "\"127.0.0.1:1143\"\nupstream = \"h:1\"\n"),
                       valid_base_lines + 4, 10,
                       {"listen of [[server]] \"b\" 127.0.0.1:1143 clashes with listen of "
                        "[[server]] \"imap\""});
    expect_one_problem(with_base("[daemon]\nhealth_listen = \"127.0.0.1:1143\"\n"),
                       valid_base_lines + 2, 17, {"health_listen in [daemon]", "clashes"});
    expect_one_problem(with_base("[[server]]\nname = \"b\"\nprotocol = \"pop3\"\nlisten = "
                                 "\"0.0.0.0:1143\"\nupstream = \"h:1\"\n"),
                       valid_base_lines + 4, 10, {"clashes"});
    // A health_listen of the wrong type is one problem, not also a clash with its default.
    expect_one_problem(
        "[daemon]\nhealth_listen = 8025\n[[server]]\nname = \"a\"\nprotocol = "
        "\"imap\"\nlisten = \"127.0.0.1:8025\"\nupstream = \"h:1\"\n",
        2, 17, {"health_listen in [daemon] must be a string"});
    // Same port on different addresses is fine.
    EXPECT_TRUE(load(with_base("[[server]]\nname = \"b\"\nprotocol = \"pop3\"\nlisten = "
                               "\"127.0.0.2:1143\"\nupstream = \"h:1\"\n"))
                    .problems.empty());
}

TEST(ConfigLoader, DuplicateLoginPatterns) {
    expect_one_problem(with_base("[[account]]\nname = \"bob\"\nlogin = \"ALICE@example.com\"\n"
                                 "issuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = "
                                 "\"s\"\n"),
                       valid_base_lines + 3, 9,
                       {"login \"ALICE@example.com\" is already claimed by [[account]] \"alice\""});
}

TEST(ConfigLoader, UnsupportedLoginPattern) {
    expect_one_problem(
        "[[account]]\nname = \"a\"\nlogin = \"a*@b\"\nissuer = \"https://i\"\n"
        "client_id = \"c\"\nclient_secret = \"s\"\n",
        3, 9, {"only pattern is \"*@domain\""});
}

TEST(ConfigLoader, LocalTlsNeedsCertificateAndKey) {
    LoadResult result = load(
        "[[server]]\nname = \"a\"\nprotocol = \"imap\"\nlisten = "
        "\"127.0.0.1:1\"\nupstream = \"h:1\"\nlocal_tls = \"starttls\"\n");
    ASSERT_EQ(result.problems.size(), 2u) << describe(result);
    EXPECT_EQ(result.problems[0].line, 6);
    EXPECT_EQ(result.problems[0].column, 13);
    EXPECT_THAT(result.problems[0].message, HasSubstr("needs local_cert"));
    EXPECT_THAT(result.problems[1].message, HasSubstr("needs local_key"));
    expect_one_problem(
        "[[server]]\nname = \"a\"\nprotocol = \"imap\"\nlisten = "
        "\"127.0.0.1:1\"\nupstream = \"h:1\"\nlocal_tls = \"implicit\"\nlocal_cert "
        "= \"certs/local.crt\"\n",
        6, 13, {"local_tls = \"implicit\" needs local_key"});
}

TEST(ConfigLoader, FilesThatDoNotExist) {
    expect_one_problem(
        "[[server]]\nname = \"a\"\nprotocol = \"imap\"\nlisten = "
        "\"127.0.0.1:1\"\nupstream = \"h:1\"\nca_file = \"certs/missing.pem\"\n",
        6, 11, {"ca_file", (data_dir / "certs/missing.pem").string(), "cannot be found"});
    expect_one_problem(
        "[[server]]\nname = \"a\"\nprotocol = \"imap\"\nlisten = "
        "\"127.0.0.1:1\"\nupstream = \"h:1\"\nlocal_tls = \"implicit\"\nlocal_cert "
        "= \"certs\"\nlocal_key = \"certs/local.key\"\n",
        7, 14, {"local_cert", "not a regular file"});
    expect_one_problem("[[proxy]]\nname = \"p\"\nurl = \"https://p\"\nca_file = \"nope.pem\"\n", 4,
                       11, {"ca_file", "cannot be found"});
}

TEST(ConfigLoader, PasswordAuthNeedsUpstreamPassword) {
    expect_one_problem("[[account]]\nname = \"a\"\nlogin = \"a@b\"\nauth = \"password\"\n", 4, 8,
                       {"auth = \"password\" in [[account]] needs upstream_password"});
}

TEST(ConfigLoader, OAuthSettingsThatCannotWork) {
    expect_one_problem(
        "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nprovider = \"microsoft\"\n"
        "client_id = \"c\"\nclient_secret = \"s\"\n",
        4, 12, {"provider = \"microsoft\" in [[account]] needs tenant"});
    expect_one_problem(
        "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nissuer = \"https://i\"\n"
        "client_secret = \"s\"\n",
        1, 1, {"needs client_id"});
    expect_one_problem(
        "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nissuer = \"https://i\"\n"
        "client_id = \"c\"\n",
        1, 1, {"flow = \"client_credentials\"", "needs client_secret"});
    expect_one_problem(
        "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nprovider = \"google\"\n"
        "client_id = \"c\"\nclient_secret = \"s\"\n",
        1, 1, {"does not offer client_credentials"});
    expect_one_problem(
        "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nclient_id = \"c\"\n"
        "client_secret = \"s\"\n",
        1, 1, {"needs issuer", "token_endpoint"});
    expect_one_problem(
        "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nclient_id = \"c\"\n"
        "flow = \"device_code\"\ntoken_endpoint = \"https://t\"\n",
        5, 8, {"device_authorization_endpoint"});
    expect_one_problem(
        "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nclient_id = \"c\"\n"
        "client_secret = \"s\"\nissuer = \"id.example.com\"\n",
        6, 10, {"issuer \"id.example.com\"", "https://"});
}

TEST(ConfigLoader, ProxyProblems) {
    expect_one_problem("[[proxy]]\nname = \"p\"\nurl = \"socks5://p:1080\"\n", 3, 7,
                       {"url \"socks5://p:1080\"", "http://", "https://"});
    expect_one_problem("[[proxy]]\nname = \"p\"\nurl = \"http://user:pw@p:3128\"\n", 3, 7,
                       {"must not contain credentials"});
    expect_one_problem("[[proxy]]\nname = \"p\"\nurl = \"http://p:3128/path\"\n", 3, 7,
                       {"only a scheme, host and port"});
    expect_one_problem("[[proxy]]\nname = \"p\"\nurl = \"http://p:3128\"\nauth = \"basic\"\n", 4, 8,
                       {"auth = \"basic\"", "needs username"});
}

TEST(ConfigLoader, NumberRanges) {
    expect_one_problem("[daemon]\nconnect_timeout = 0\n", 2, 19,
                       {"connect_timeout = 0", "1 to 600"});
    expect_one_problem("[daemon]\nconnect_timeout = 601\n", 2, 19, {"1 to 600"});
    expect_one_problem("[daemon]\nidle_timeout = 59\n", 2, 16, {"60 to 86400"});
    expect_one_problem("[daemon]\nmax_sessions = 0\n", 2, 16, {"1 to 1000000"});
    expect_one_problem("[daemon]\nlog_level = 6\n", 2, 13, {"1 to 5"});
    expect_one_problem("[daemon]\nlog_level = 0\n", 2, 13, {"1 to 5"});
    expect_one_problem("[daemon]\nmax_sessions = 9223372036854775807\n", 2, 16, {"1 to 1000000"});
    EXPECT_TRUE(load("[daemon]\nconnect_timeout = 600\nidle_timeout = 60\nlog_level = 1\n")
                    .problems.empty());
    expect_one_problem("[daemon]\nstate_dir = \"\"\n", 2, 13, {"state_dir must not be empty"});
}

TEST(ConfigLoader, MissingSecrets) {
    ::unsetenv("MB_CONFIG_TEST_UNSET");
    expect_one_problem("[daemon]\ntoken_key = { env = \"MB_CONFIG_TEST_UNSET\" }\n", 2, 21,
                       {"environment variable \"MB_CONFIG_TEST_UNSET\" is not set"});
    expect_one_problem("[daemon]\ntoken_key = { file = \"secrets/absent.txt\" }\n", 2, 22,
                       {(data_dir / "secrets/absent.txt").string(), "cannot be found"});
    expect_one_problem("[daemon]\ntoken_key = { file = \"secrets\" }\n", 2, 22, {"is a directory"});
    expect_one_problem("[daemon]\ntoken_key = { command = [\"mb-no-such-program\"] }\n", 2, 25,
                       {"\"mb-no-such-program\" is not found in PATH"});
    expect_one_problem("[daemon]\ntoken_key = { command = [\"certs/ca.pem\"] }\n", 2, 25,
                       {"not executable"});
    expect_one_problem("[daemon]\ntoken_key = { command = [] }\n", 2, 25,
                       {"non-empty array of non-empty strings"});
    expect_one_problem("[daemon]\ntoken_key = { env = \"\" }\n", 2, 21, {"non-empty string"});
    expect_one_problem("[daemon]\ntoken_key = {}\n", 2, 13, {"empty table"});
}

TEST(ConfigLoader, SecretFormsAndRules) {
    expect_one_problem("[daemon]\ntoken_key = { hash = \"h\" }\n", 2, 15,
                       {"\"hash\" is accepted only for local_password"});
    expect_one_problem("[daemon]\ntoken_key = { env = \"PATH\", file = \"x\" }\n", 2, 29,
                       {"more than one source"});
    LoadResult result = load(with_base("local_password = { command = [\"true\"] }\n"));
    ASSERT_TRUE(result.config.has_value()) << describe(result);
    EXPECT_EQ(result.config->accounts.front().local_password.kind, SecretSource::Kind::command);
    result = load("[daemon]\ntoken_key = \"\"\n");
    ASSERT_TRUE(result.config.has_value()) << describe(result);
    EXPECT_EQ(result.config->daemon.token_key.kind, SecretSource::Kind::none);
    // Table-header form of a secret.
    result = load(with_base("[account.local_password]\nhash = \"h\"\n"));
    ASSERT_TRUE(result.config.has_value()) << describe(result);
    EXPECT_EQ(result.config->accounts.front().local_password.kind, SecretSource::Kind::hash);
}

TEST(ConfigLoader, RelativeCommandPathsStartAtTheConfigDirectory) {
    testing::ScratchDir dir;
    dir.write("get-secret", "#!/bin/sh\necho s\n", 0700);
    LoadResult result = load_config_text("[daemon]\ntoken_key = { command = [\"./get-secret\"] }\n",
                                         dir.path() / "mailbridge.toml");
    ASSERT_TRUE(result.config.has_value()) << describe(result);
    EXPECT_EQ(result.config->daemon.token_key.command.front(),
              (dir.path() / "get-secret").string());
}

TEST(ConfigLoader, FiveDistinctMistakesGiveExactlyFiveDiagnostics) {
    LoadResult result = load_config_file(data_dir / "five_mistakes.toml");
    ASSERT_EQ(result.problems.size(), 5u) << describe(result);
    EXPECT_FALSE(result.config.has_value());
    const std::pair<int, int> places[] = {{5, 1}, {10, 10}, {12, 16}, {19, 13}, {23, 8}};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(result.problems[i].line, places[i].first) << result.problems[i].to_string();
        EXPECT_EQ(result.problems[i].column, places[i].second) << result.problems[i].to_string();
    }
    EXPECT_THAT(result.problems[0].message, HasSubstr("did you mean \"connect_timeout\""));
    EXPECT_THAT(result.problems[1].message, HasSubstr("clashes with health_listen"));
    EXPECT_THAT(result.problems[2].message, HasSubstr("\"implicit\", \"starttls\""));
    EXPECT_THAT(result.problems[3].message, HasSubstr("client_id in [[account]] must be a string"));
    EXPECT_THAT(result.problems[4].message, HasSubstr("name \"alice\" is already used"));
    EXPECT_EQ(result.problems[0].to_string(),
              (data_dir / "five_mistakes.toml").string() + ":5:1: " + result.problems[0].message);
}

TEST(ConfigLoader, ProblemsComeInFileOrder) {
    LoadResult result = load(
        "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nauth = \"password\"\n"
        "[daemon]\nlog_level = 9\nbogus = 1\n");
    ASSERT_EQ(result.problems.size(), 3u) << describe(result);
    EXPECT_EQ(result.problems[0].line, 4);
    EXPECT_EQ(result.problems[1].line, 6);
    EXPECT_EQ(result.problems[2].line, 7);
}

TEST(ConfigLoader, UnreadableFiles) {
    LoadResult missing = load_config_file(data_dir / "no-such-file.toml");
    ASSERT_EQ(missing.problems.size(), 1u);
    EXPECT_EQ(missing.problems[0].line, 0);
    EXPECT_THAT(missing.problems[0].to_string(), HasSubstr("no-such-file.toml: cannot open"));
    LoadResult directory = load_config_file(data_dir);
    ASSERT_EQ(directory.problems.size(), 1u);
    EXPECT_THAT(directory.problems[0].message, HasSubstr("cannot read"));
}

TEST(Diagnostic, Formats) {
    EXPECT_EQ((Diagnostic{"a.toml", 3, 7, "bad"}).to_string(), "a.toml:3:7: bad");
    EXPECT_EQ((Diagnostic{"a.toml", 0, 0, "unreadable"}).to_string(), "a.toml: unreadable");
}

}  // namespace
}  // namespace mb::config
