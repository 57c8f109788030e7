// Tests for the Host and Origin values the health endpoint answers to: its own address and the
// loopback names with the right port, nothing else (DNS rebinding names, other ports, no port).
#include "bridge/health/allowed_hosts.h"

#include <gtest/gtest.h>

namespace {

using mb::health::AllowedHosts;

TEST(AllowedHosts, OwnAddressAndLoopbackNamesWithTheBoundPort) {
    const AllowedHosts hosts("127.0.0.1", 8025);
    for (const char* host : {"127.0.0.1:8025", "[::1]:8025", "localhost:8025", "LocalHost:8025"})
        EXPECT_TRUE(hosts.allows_host(std::string_view(host))) << host;
    for (const char* host : {"evil.example:8025", "127.0.0.1", "127.0.0.1:8026", "localhost",
                             "127.0.0.1:8025 ", "", "127.0.0.2:8025", "[::1]:80"})
        EXPECT_FALSE(hosts.allows_host(std::string_view(host))) << host;
    EXPECT_FALSE(hosts.allows_host(std::nullopt));
    EXPECT_FALSE(AllowedHosts().allows_host(std::string_view("127.0.0.1:8025")));
}

TEST(AllowedHosts, ConfiguredNameAndIpv6) {
    const AllowedHosts any("0.0.0.0", 9000);
    EXPECT_TRUE(any.allows_host(std::string_view("0.0.0.0:9000")));
    EXPECT_TRUE(any.allows_host(std::string_view("localhost:9000")));
    const AllowedHosts v6("::1", 9000);
    EXPECT_TRUE(v6.allows_host(std::string_view("[::1]:9000")));
    EXPECT_FALSE(v6.allows_host(std::string_view("::1:9000")));
}

TEST(AllowedHosts, OriginsAreHttpOfAnAllowedHost) {
    const AllowedHosts hosts("127.0.0.1", 8025);
    EXPECT_TRUE(hosts.allows_origin("http://127.0.0.1:8025"));
    EXPECT_TRUE(hosts.allows_origin("http://localhost:8025"));
    for (const char* origin : {"null", "http://evil.example:8025", "https://127.0.0.1:8025",
                               "http://127.0.0.1:8025/", "http://", ""})
        EXPECT_FALSE(hosts.allows_origin(origin)) << origin;
}

}  // namespace
