// Tests of the address and proxy-URL parsers and the edit-distance suggestions.
#include "bridge/config/host_port.h"

#include <gtest/gtest.h>

#include "bridge/config/key_suggestion.h"

namespace mb::config {
namespace {

TEST(HostPort, ParsesNamesAndAddresses) {
    auto name = parse_host_port("imap.example.com:993");
    ASSERT_TRUE(name.ok());
    EXPECT_EQ(name->host, "imap.example.com");
    EXPECT_EQ(name->port, 993);
    auto v6 = parse_host_port("[fe80::1]:65535");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6->host, "fe80::1");
    EXPECT_EQ(v6->port, 65535);
    EXPECT_EQ(v6->to_string(), "[fe80::1]:65535");
    EXPECT_EQ(parse_host_port("127.0.0.1:1")->to_string(), "127.0.0.1:1");
}

TEST(HostPort, RefusesBadForms) {
    for (const char* bad :
         {"", ":", "h", "h:", "h:0", "h:65536", "h:-1", "h:+1", "h:1x", "[::1]", "[::1", "[]:1",
          "[x]:1", "::1:1", "h h:1", "h/x:1", "[::1]:1:2", "h:99999999999999999999"}) {
        EXPECT_FALSE(parse_host_port(bad).ok()) << bad;
    }
    EXPECT_FALSE(parse_host_port(std::string(254, 'a') + ":1").ok());
}

TEST(ProxyUrl, SchemesPortsAndRefusals) {
    auto http = parse_proxy_url("http://proxy:3128");
    ASSERT_TRUE(http.ok());
    EXPECT_FALSE(http->https);
    EXPECT_EQ(http->address.to_string(), "proxy:3128");
    auto https = parse_proxy_url("https://[::1]/");
    ASSERT_TRUE(https.ok());
    EXPECT_TRUE(https->https);
    EXPECT_EQ(https->address.to_string(), "[::1]:443");
    EXPECT_EQ(parse_proxy_url("http://p")->address.port, 80);
    for (const char* bad : {"", "proxy:3128", "socks5://p", "HTTP://p", "http://", "http://u@p",
                            "http://p/x", "http://p?x", "http://p:0"}) {
        EXPECT_FALSE(parse_proxy_url(bad).ok()) << bad;
    }
}

TEST(KeySuggestion, FindsLikelyTypos) {
    constexpr std::string_view keys[] = {"listen", "upstream", "upstream_tls", "local_tls"};
    EXPECT_EQ(closest_match("listn", keys), "listen");
    EXPECT_EQ(closest_match("LISTEN", keys), "listen");
    EXPECT_EQ(closest_match("upstream-tls", keys), "upstream_tls");
    EXPECT_EQ(closest_match("zzz", keys), std::nullopt);
    EXPECT_EQ(closest_match("", keys), std::nullopt);
    EXPECT_EQ(closest_match(std::string(10000, 'x'), keys), std::nullopt);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("evn", "env"), 1u);
    constexpr std::string_view proxy[] = {"proxy"};
    EXPECT_EQ(closest_match("porxy", proxy), "proxy");
}

}  // namespace
}  // namespace mb::config
