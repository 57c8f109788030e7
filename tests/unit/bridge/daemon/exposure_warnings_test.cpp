// Tests for the clear-text exposure warnings: which hosts count as loopback, which listeners are
// reported at start, and which ones a reload reports again.
#include "bridge/daemon/exposure_warnings.h"

#include <gtest/gtest.h>

namespace mb::daemon {
namespace {

config::ServerSettings server(std::string name, std::string host,
                              config::LocalTls tls = config::LocalTls::none) {
    config::ServerSettings out;
    out.name = std::move(name);
    out.listen = {std::move(host), 1143};
    out.local_tls = tls;
    return out;
}

TEST(ExposureWarnings, LoopbackHosts) {
    for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"})
        EXPECT_TRUE(is_loopback_host(host)) << host;
    for (const char* host : {"0.0.0.0", "::", "", "10.0.0.1", "128.0.0.1", "::2", "localhost.",
                             "mail.example.com", "::ffff:10.0.0.1", "1.127.0.0"})
        EXPECT_FALSE(is_loopback_host(host)) << host;
}

TEST(ExposureWarnings, OnlyPlainListenersOffLoopbackAreReported) {
    config::Config config;
    config.daemon.health_listen.reset();
    config.servers = {server("local", "127.0.0.1"), server("open", "0.0.0.0"), server("v6", "::"),
                      server("tls", "0.0.0.0", config::LocalTls::starttls),
                      server("imaps", "0.0.0.0", config::LocalTls::implicit)};
    auto warnings = exposure_warnings(config);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_NE(warnings[0].find("[[server]] open listens on 0.0.0.0:1143"), std::string::npos);
    EXPECT_NE(warnings[0].find("local_tls = \"starttls\""), std::string::npos);  // what to do
    EXPECT_NE(warnings[1].find("[[server]] v6 listens on [::]:1143"), std::string::npos);
}

TEST(ExposureWarnings, HealthListenOffLoopback) {
    config::Config config;
    EXPECT_TRUE(exposure_warnings(config).empty());  // the default 127.0.0.1:8025
    config.daemon.health_listen = config::HostPort{"0.0.0.0", 8025};
    auto warnings = exposure_warnings(config);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("health_listen = \"0.0.0.0:8025\""), std::string::npos);
    EXPECT_NE(warnings[0].find("no TLS"), std::string::npos);
    config.daemon.health_listen.reset();  // disabled
    EXPECT_TRUE(exposure_warnings(config).empty());
}

TEST(ExposureWarnings, ReloadReportsOnlyNewOrChangedListeners) {
    config::Config before;
    before.daemon.health_listen = config::HostPort{"0.0.0.0", 8025};
    before.servers = {server("same", "0.0.0.0"), server("moved", "127.0.0.1"),
                      server("downgraded", "0.0.0.0", config::LocalTls::implicit)};
    config::Config after = before;
    after.servers = {server("same", "0.0.0.0"), server("moved", "0.0.0.0"),
                     server("downgraded", "0.0.0.0"), server("added", "::")};
    auto warnings = exposure_warnings(after, &before);
    ASSERT_EQ(warnings.size(), 3u);
    EXPECT_NE(warnings[0].find("[[server]] moved "), std::string::npos);
    EXPECT_NE(warnings[1].find("[[server]] downgraded "), std::string::npos);
    EXPECT_NE(warnings[2].find("[[server]] added "), std::string::npos);
    after.daemon.health_listen = config::HostPort{"0.0.0.0", 9000};
    EXPECT_EQ(exposure_warnings(after, &before).size(), 4u);
}

}  // namespace
}  // namespace mb::daemon
