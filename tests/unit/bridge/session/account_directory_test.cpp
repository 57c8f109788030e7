// Tests for login → account lookup and the upstream identity rule.
#include "bridge/session/account_directory.h"

#include <gtest/gtest.h>

namespace {

mb::config::Config make_config() {
    mb::config::Config config;
    mb::config::AccountSettings alice;
    alice.name = "alice";
    alice.login = "alice@example.com";
    mb::config::AccountSettings domain;
    domain.name = "domain";
    domain.login = "*@example.com";
    domain.upstream_user = "shared@example.com";
    mb::config::AccountSettings other;
    other.name = "other";
    other.login = "*@other.org";
    config.accounts = {domain, alice, other};
    return config;
}

TEST(AccountDirectory, ExactLoginWinsOverDomainPatternWhateverTheOrder) {
    auto config = make_config();
    mb::session::AccountDirectory directory(config);
    ASSERT_NE(directory.find("alice@example.com"), nullptr);
    EXPECT_EQ(directory.find("alice@example.com")->name, "alice");
    EXPECT_EQ(directory.find("ALICE@Example.COM")->name, "alice");
    EXPECT_EQ(directory.find("bob@example.com")->name, "domain");
    EXPECT_EQ(directory.find("carol@OTHER.org")->name, "other");
}

TEST(AccountDirectory, UnknownOrMalformedLoginsFindNothing) {
    auto config = make_config();
    mb::session::AccountDirectory directory(config);
    EXPECT_EQ(directory.find("bob@example.net"), nullptr);
    EXPECT_EQ(directory.find("example.com"), nullptr);
    EXPECT_EQ(directory.find("@example.com"), nullptr);
    EXPECT_EQ(directory.find(""), nullptr);
    EXPECT_EQ(directory.find("bob@sub.example.com"), nullptr);
    EXPECT_EQ(directory.find(std::string("alice@example.com\0x", 19)), nullptr);
}

TEST(AccountDirectory, UpstreamIdentityDefaultsToTheLogin) {
    auto config = make_config();
    mb::session::AccountDirectory directory(config);
    EXPECT_EQ(mb::session::AccountDirectory::upstream_identity(*directory.find("bob@example.com"),
                                                               "bob@example.com"),
              "shared@example.com");
    EXPECT_EQ(mb::session::AccountDirectory::upstream_identity(*directory.find("alice@example.com"),
                                                               "alice@example.com"),
              "alice@example.com");
}

}  // namespace
