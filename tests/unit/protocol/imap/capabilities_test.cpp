// Tests for the capability policy and the rewriting of upstream capability lines.
#include "protocol/imap/capabilities.h"

#include <gtest/gtest.h>

namespace mb::protocol::imap {
namespace {

using Caps = std::vector<std::string_view>;

TEST(ImapCapabilities, PreAuthList) {
    EXPECT_EQ(pre_auth_capabilities({}),
              (Caps{"IMAP4rev1", "AUTH=PLAIN", "SASL-IR", "LITERAL+", "ID"}));
    EXPECT_EQ(pre_auth_capabilities({.starttls = true}),
              (Caps{"IMAP4rev1", "STARTTLS", "AUTH=PLAIN", "SASL-IR", "LITERAL+", "ID"}));
}

TEST(ImapCapabilities, PreAuthListWithoutLoginSaysLoginDisabled) {
    // A STARTTLS listener before TLS: no AUTH= and no SASL-IR, LOGINDISABLED instead.
    EXPECT_EQ(pre_auth_capabilities({.starttls = true, .login = false}),
              (Caps{"IMAP4rev1", "STARTTLS", "LOGINDISABLED", "LITERAL+", "ID"}));
}

TEST(ImapCapabilities, StripsLoginAndOpaqueStreamExtensions) {
    Caps upstream{"IMAP4rev1",     "auth=xoauth2", "AUTH=OAUTHBEARER", "SASL-IR",
                  "LOGINDISABLED", "StartTLS",     "COMPRESS=DEFLATE", "UNAUTHENTICATE",
                  "IDLE",          "MOVE",         "UIDPLUS",          "CONDSTORE",
                  "QRESYNC",       "SPECIAL-USE",  "LITERAL+",         "LITERAL-",
                  "BINARY",        "ENABLE",       "NAMESPACE",        "ID",
                  "UNSELECT",      "CHILDREN",     "ESEARCH",          "X-GM-EXT-1",
                  "IMAP4rev2",     "AUTHX",        "COMPRESS"};
    EXPECT_EQ(relayable_capabilities(upstream),
              (Caps{"IMAP4rev1", "IDLE",        "MOVE",      "UIDPLUS",  "CONDSTORE",
                    "QRESYNC",   "SPECIAL-USE", "LITERAL+",  "LITERAL-", "BINARY",
                    "ENABLE",    "NAMESPACE",   "ID",        "UNSELECT", "CHILDREN",
                    "ESEARCH",   "X-GM-EXT-1",  "IMAP4rev2", "AUTHX",    "COMPRESS"}));
}

TEST(ImapCapabilities, RewritesUntaggedCapabilityLine) {
    EXPECT_EQ(rewrite_capability_response(
                  "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN IDLE COMPRESS=DEFLATE\r\n"),
              "* CAPABILITY IMAP4rev1 IDLE\r\n");
    EXPECT_EQ(rewrite_capability_response("* capability IDLE  AUTH=PLAIN MOVE\n"),
              "* capability IDLE MOVE\n");
}

TEST(ImapCapabilities, RewritesCapabilityCodesKeepingTheRest) {
    EXPECT_EQ(
        rewrite_capability_response("a1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE MOVE] Logged in\r\n"),
        "a1 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n");
    EXPECT_EQ(rewrite_capability_response("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready"),
              "* OK [CAPABILITY IMAP4rev1] ready");
}

TEST(ImapCapabilities, LeavesOtherLinesAlone) {
    EXPECT_FALSE(rewrite_capability_response("* CAPABILITY IMAP4rev1 IDLE\r\n"));
    EXPECT_FALSE(rewrite_capability_response("a1 OK [READ-WRITE] SELECT completed\r\n"));
    EXPECT_FALSE(rewrite_capability_response("a1 OK Logged in\r\n"));
    EXPECT_FALSE(rewrite_capability_response("* 3 EXISTS\r\n"));
    EXPECT_FALSE(rewrite_capability_response("* 1 FETCH (BODY[] {5}\r\n"));
    EXPECT_FALSE(rewrite_capability_response("garbage [CAPABILITY AUTH=PLAIN"));
    EXPECT_FALSE(rewrite_capability_response(""));
}

}  // namespace
}  // namespace mb::protocol::imap
