// Tests for the endpoint URL rule: https anywhere, plain http only to loopback.
#include "protocol/oauth/endpoint_url.h"

#include <gtest/gtest.h>

namespace po = mb::protocol::oauth;

TEST(EndpointUrl, Accepted) {
    for (const char* url :
         {"https://login.microsoftonline.com/t/oauth2/v2.0/token", "HTTPS://Example.com",
          "https://example.com:8443/token?x=1", "https://[2001:db8::1]:443/token",
          "http://127.0.0.1:4000/token", "http://localhost/token", "http://LOCALHOST:80",
          "http://[::1]:9000/t"}) {
        EXPECT_TRUE(po::check_endpoint_url(url, "token_endpoint").ok()) << url;
    }
}

TEST(EndpointUrl, Refused) {
    for (const char* url :
         {"", "example.com/token", "ftp://example.com/token", "http://example.com/token",
          "http://127.0.0.2/token", "http://localhost.example.com/token", "http://[::2]/t",
          "https://", "https:///token", "https://user:pw@example.com/token",
          "https://example.com/token#frag", "https://exa mple.com", "https://example.com:0/t",
          "https://example.com:65536/t", "https://example.com:/t", "https://example.com:12ab/t",
          "https://[::1/t", "https://[::1]x/t", "https://example.com/\r\nX: y"}) {
        auto checked = po::check_endpoint_url(url, "token_endpoint");
        EXPECT_FALSE(checked.ok()) << url;
        if (!checked.ok()) {
            EXPECT_EQ(checked.error().message.rfind("token_endpoint", 0), 0u) << url;
        }
    }
}
