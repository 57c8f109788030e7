// Tests for the local_passwords table parser: lookups, comments, and malformed lines named by
// number without their content.
#include "bridge/session/local_password_table.h"

#include <gtest/gtest.h>

namespace mb::session {
namespace {

constexpr std::string_view kTable =
    "# staff of example.com\n"
    "alice@example.com:$scrypt$alice-hash\r\n"
    "\n"
    "  Bob@Example.com : $scrypt$bob-hash  \n";

TEST(LocalPasswordTable, FindsTheLoginsHashCaseInsensitively) {
    auto alice = find_login_hash(kTable, "alice@example.com");
    ASSERT_TRUE(alice.ok());
    EXPECT_EQ(alice->reveal(), "$scrypt$alice-hash");
    auto bob = find_login_hash(kTable, "bob@EXAMPLE.com");
    ASSERT_TRUE(bob.ok());
    EXPECT_EQ(bob->reveal(), "$scrypt$bob-hash");
}

TEST(LocalPasswordTable, AnUnlistedLoginIsEmpty) {
    auto carol = find_login_hash(kTable, "carol@example.com");
    ASSERT_TRUE(carol.ok());
    EXPECT_TRUE(carol->empty());
    EXPECT_TRUE(find_login_hash("", "alice")->empty());
    EXPECT_TRUE(find_login_hash(kTable, "alice@example.co")->empty());
}

TEST(LocalPasswordTable, MalformedLinesAreNamedWithoutTheirContent) {
    for (std::string_view bad :
         {"alice@example.com $scrypt$x\n", ":$scrypt$x\n", "alice:\n", "alice:   \n"}) {
        auto result = find_login_hash(std::string("# c\n") + std::string(bad), "alice");
        ASSERT_FALSE(result.ok()) << bad;
        EXPECT_NE(result.error().message.find("line 2"), std::string::npos);
        EXPECT_EQ(result.error().message.find("scrypt$x"), std::string::npos);
    }
}

TEST(LocalPasswordTable, HostileBytesNeverCrash) {
    constexpr char bytes[] = "a\0b:c\n\xff\xfe:\x01\n";
    const std::string hostile(bytes, sizeof bytes - 1);
    EXPECT_TRUE(find_login_hash(hostile, std::string("a\0b", 3)).ok());
    EXPECT_TRUE(find_login_hash(std::string(100000, '\n'), "x").ok());
}

}  // namespace
}  // namespace mb::session
