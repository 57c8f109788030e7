// build_services from a parsed configuration: the daemon's parts are passed through, the upstream
// TLS context and the server's proxy are prepared (or a prepared route taken), backoff follows
// upstream_backoff_max, and a local certificate that cannot be loaded names the server.
#include "bridge/daemon/services_builder.h"

#include <gtest/gtest.h>

#include <string>

#include "bridge/config/config_loader.h"
#include "bridge/health/metrics.h"
#include "bridge/session/account_directory.h"
#include "bridge/session/login_guard.h"
#include "bridge/session/upstream_backoff.h"

namespace mb::daemon {
namespace {

constexpr std::string_view kConfig = R"([daemon]
upstream_backoff_max = 60

[[server]]
name = "imap"
protocol = "imap"
listen = "127.0.0.1:1143"
upstream = "imap.example.com:993"

[[server]]
name = "smtp"
protocol = "smtp"
listen = "127.0.0.1:1587"
upstream = "smtp.example.com:587"
upstream_tls = "starttls"
proxy = "corp"

[[proxy]]
name = "corp"
url = "http://proxy.example.com:3128"
auth = "basic"
username = "bridge"
password = "proxy-pass"

[[account]]
name = "alice"
login = "alice@example.com"
issuer = "https://id.example.com"
client_id = "cid"
client_secret = "s3cret"
)";

class ServicesBuilderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto loaded = config::load_config_text(kConfig, "inline.toml");
        ASSERT_TRUE(loaded.config)
            << (loaded.problems.empty() ? std::string() : loaded.problems[0].to_string());
        config_ = std::make_shared<const config::Config>(std::move(*loaded.config));
        directory_ = std::make_shared<session::AccountDirectory>(*config_);
        parts_.loop = &loop_;
        parts_.metrics = &metrics_;
        parts_.backoff = &backoff_;
        parts_.guard = &guard_;
        parts_.on_login = [this](const std::string& account, health::LoginResult,
                                 const std::string&) { logins_.push_back(account); };
    }

    Result<std::shared_ptr<const session::SessionServices>> build(
        std::size_t server, std::optional<Result<UpstreamRoute>> route = std::nullopt) {
        return build_services(parts_, config_->servers.at(server), config_, directory_,
                              std::move(route));
    }

    uv_loop_t loop_{};  // never run: only its address is passed on
    health::Metrics metrics_;
    session::UpstreamBackoff backoff_;
    session::LoginGuard guard_;
    ServiceParts parts_;
    std::shared_ptr<const config::Config> config_;
    std::shared_ptr<session::AccountDirectory> directory_;
    std::vector<std::string> logins_;
};

TEST_F(ServicesBuilderTest, ADirectServerGetsTheDaemonsPartsAndAnUpstreamTlsContext) {
    auto built = build(0);
    ASSERT_TRUE(built) << built.error().message;
    const auto& services = **built;
    EXPECT_EQ(services.loop, &loop_);
    EXPECT_EQ(services.config, config_);
    EXPECT_EQ(services.server, &config_->servers[0]);
    EXPECT_EQ(services.directory, directory_);
    EXPECT_EQ(services.metrics, &metrics_);
    EXPECT_EQ(services.backoff, &backoff_);
    EXPECT_EQ(services.guard, &guard_);
    EXPECT_EQ(services.tokens, nullptr);
    EXPECT_EQ(services.cache, nullptr);
    EXPECT_NE(services.upstream_tls, nullptr);
    EXPECT_FALSE(services.proxy);
    EXPECT_EQ(services.local_tls, nullptr);
    ASSERT_TRUE(services.on_login);
    services.on_login("alice", health::LoginResult::ok, "");
    EXPECT_EQ(logins_, std::vector<std::string>{"alice"});
}

TEST_F(ServicesBuilderTest, TheServersProxyIsResolvedWithItsPassword) {
    auto built = build(1);
    ASSERT_TRUE(built) << built.error().message;
    const auto& proxy = (*built)->proxy;
    ASSERT_TRUE(proxy);
    EXPECT_EQ(proxy->name, "corp");
    EXPECT_EQ(proxy->host, "proxy.example.com");
    EXPECT_EQ(proxy->port, 3128);
    EXPECT_EQ(proxy->username, "bridge");
    EXPECT_EQ(proxy->password.reveal(), "proxy-pass");
}

TEST_F(ServicesBuilderTest, APreparedRouteIsTakenAsItIs) {
    auto failed = build(0, Result<UpstreamRoute>(make_error("prepared: no CA file")));
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message, "prepared: no CA file");

    UpstreamRoute route;
    route.proxy = net::ProxyTarget{};
    route.proxy->name = "elsewhere";
    auto built = build(0, Result<UpstreamRoute>(std::move(route)));
    ASSERT_TRUE(built) << built.error().message;
    ASSERT_TRUE((*built)->proxy);
    EXPECT_EQ((*built)->proxy->name, "elsewhere");
    EXPECT_EQ((*built)->upstream_tls, nullptr);
}

TEST_F(ServicesBuilderTest, NoBackoffWhenItIsTurnedOff) {
    auto config = std::make_shared<config::Config>(*config_);
    config->daemon.upstream_backoff_max = 0;
    auto built = build_services(parts_, config->servers[0], config, directory_);
    ASSERT_TRUE(built) << built.error().message;
    EXPECT_EQ((*built)->backoff, nullptr);
}

TEST_F(ServicesBuilderTest, ALocalCertificateThatCannotBeLoadedNamesTheServer) {
    auto config = std::make_shared<config::Config>(*config_);
    config->servers[0].local_tls = config::LocalTls::starttls;
    config->servers[0].local_cert = "/nonexistent/mailbridge-test/cert.pem";
    config->servers[0].local_key = "/nonexistent/mailbridge-test/key.pem";
    auto built = build_services(parts_, config->servers[0], config, directory_);
    ASSERT_FALSE(built);
    EXPECT_EQ(built.error().message.rfind("[[server]] imap: ", 0), 0u) << built.error().message;
}

TEST_F(ServicesBuilderTest, AnUnknownProxyNamesTheServer) {
    auto config = std::make_shared<config::Config>(*config_);
    config->servers[1].proxy = "missing";
    auto built = build_services(parts_, config->servers[1], config, directory_);
    ASSERT_FALSE(built);
    EXPECT_EQ(built.error().message, "[[server]] smtp: no [[proxy]] named missing");
}

}  // namespace
}  // namespace mb::daemon
