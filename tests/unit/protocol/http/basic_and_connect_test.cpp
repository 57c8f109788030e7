// Tests for Basic credentials (RFC 7617), the CONNECT request and its authority (IPv6 in
// brackets), and no_proxy matching.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/http/basic_auth.h"
#include "protocol/http/connect_request.h"
#include "protocol/http/no_proxy.h"

namespace {

using namespace mb::protocol::http;
using mb::Secret;

TEST(BasicAuth, Rfc7617Example) {
    auto value = basic_authorization("Aladdin", Secret("open sesame"));
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value->reveal(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(BasicAuth, Utf8AndColonsInPassword) {
    auto value = basic_authorization("test", Secret("123\xC2\xA3:x"));
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value->reveal(), "Basic dGVzdDoxMjPCozp4");
}

TEST(BasicAuth, RefusesWhatItCannotCarry) {
    EXPECT_FALSE(basic_authorization("a:b", Secret("p")).ok());
    EXPECT_FALSE(basic_authorization("a\nb", Secret("p")).ok());
    EXPECT_FALSE(basic_authorization("a", Secret("p\r\nX: y")).ok());
}

TEST(ConnectRequest, AuthorityForNamesAndAddresses) {
    EXPECT_EQ(connect_authority("imap.example.com", 993), "imap.example.com:993");
    EXPECT_EQ(connect_authority("127.0.0.1", 143), "127.0.0.1:143");
    EXPECT_EQ(connect_authority("2001:db8::1", 993), "[2001:db8::1]:993");
}

TEST(ConnectRequest, WithoutCredentials) {
    auto request = connect_request("outlook.office365.com", 993, Secret());
    ASSERT_TRUE(request.ok());
    EXPECT_EQ(request->reveal(),
              "CONNECT outlook.office365.com:993 HTTP/1.1\r\n"
              "Host: outlook.office365.com:993\r\n\r\n");
}

TEST(ConnectRequest, WithCredentialsAndIpv6) {
    auto request = connect_request("::1", 143, Secret("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
    ASSERT_TRUE(request.ok());
    EXPECT_EQ(request->reveal(),
              "CONNECT [::1]:143 HTTP/1.1\r\nHost: [::1]:143\r\n"
              "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
}

TEST(ConnectRequest, RefusesInjection) {
    EXPECT_FALSE(connect_request("", 993, Secret()).ok());
    EXPECT_FALSE(connect_request("host", 0, Secret()).ok());
    EXPECT_FALSE(connect_request("host\r\nX: y", 993, Secret()).ok());
    EXPECT_FALSE(connect_request("host name", 993, Secret()).ok());
    EXPECT_FALSE(connect_request("user@host", 993, Secret()).ok());
    EXPECT_FALSE(connect_request("host", 993, Secret("Basic x\r\nX: y")).ok());
}

TEST(NoProxy, ExactAndSuffixMatches) {
    const std::vector<std::string> list = {"localhost", ".corp.example", "10.0.0.5", "[::1]",
                                           " mail.example.org "};
    EXPECT_TRUE(bypasses_proxy("localhost", list));
    EXPECT_TRUE(bypasses_proxy("LOCALHOST.", list));
    EXPECT_TRUE(bypasses_proxy("imap.corp.example", list));
    EXPECT_TRUE(bypasses_proxy("a.b.CORP.example", list));
    EXPECT_TRUE(bypasses_proxy("corp.example", list));
    EXPECT_TRUE(bypasses_proxy("10.0.0.5", list));
    EXPECT_TRUE(bypasses_proxy("::1", list));
    EXPECT_TRUE(bypasses_proxy("mail.example.org", list));
    EXPECT_FALSE(bypasses_proxy("badcorp.example", list));
    EXPECT_FALSE(bypasses_proxy("corp.example.com", list));
    EXPECT_FALSE(bypasses_proxy("10.0.0.50", list));
    EXPECT_FALSE(bypasses_proxy("sub.localhost", list));
    EXPECT_FALSE(bypasses_proxy("example.org", list));
    EXPECT_FALSE(bypasses_proxy("", list));
    EXPECT_FALSE(bypasses_proxy("localhost", {}));
    EXPECT_FALSE(bypasses_proxy("anything", {"", ".", " "}));
}

}  // namespace
