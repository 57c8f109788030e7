// Tests for the post-login CAPA rewrite: login capabilities stripped, everything else byte-exact.
#include "protocol/pop3/capabilities.h"

#include <gtest/gtest.h>

namespace mb::protocol::pop3 {
namespace {

TEST(Pop3Capabilities, RelayablePolicy) {
    for (const char* line : {"STLS", "SASL PLAIN XOAUTH2", "user", "AUTH-RESP-CODE"})
        EXPECT_FALSE(is_relayable_capability(line)) << line;
    for (const char* line : {"TOP", "UIDL", "PIPELINING", "RESP-CODES", "EXPIRE NEVER",
                             "LOGIN-DELAY 900", "IMPLEMENTATION Dovecot", "UTF8", "USERS"})
        EXPECT_TRUE(is_relayable_capability(line)) << line;
}

TEST(Pop3Capabilities, RewritesCapaResponse) {
    auto rewritten = rewrite_capa_response(
        "+OK Capability list follows\r\nCAPA\r\nTOP\r\nSTLS\r\nSASL PLAIN XOAUTH2\r\n"
        "USER\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUIDL\r\n.\r\n");
    ASSERT_TRUE(rewritten);
    EXPECT_EQ(*rewritten,
              "+OK Capability list follows\r\nCAPA\r\nTOP\r\nRESP-CODES\r\nPIPELINING\r\n"
              "UIDL\r\n.\r\n");
}

TEST(Pop3Capabilities, KeepsLineEndsAndStuffing) {
    auto rewritten = rewrite_capa_response("+OK\nSTLS\n..X\nTOP\n.\n");
    ASSERT_TRUE(rewritten);
    EXPECT_EQ(*rewritten, "+OK\n..X\nTOP\n.\n");
}

TEST(Pop3Capabilities, NothingToChange) {
    EXPECT_FALSE(rewrite_capa_response("+OK\r\nTOP\r\nUIDL\r\n.\r\n"));
    EXPECT_FALSE(rewrite_capa_response("-ERR [SYS/TEMP] no\r\n"));
    EXPECT_FALSE(rewrite_capa_response("+OK no line end"));
    EXPECT_FALSE(rewrite_capa_response(""));
}

}  // namespace
}  // namespace mb::protocol::pop3
