// Tests for scrypt local-password hashes: round trip, wrong password, malformed hashes.
#include "bridge/session/local_password.h"

#include <gtest/gtest.h>

namespace {

using mb::Secret;
using mb::session::hash_local_password;
using mb::session::verify_local_password;

TEST(LocalPassword, HashVerifiesTheRightPasswordOnly) {
    auto hash = hash_local_password(Secret("correct horse"));
    ASSERT_TRUE(hash.ok());
    EXPECT_EQ(hash->rfind("$scrypt$ln=15,r=8,p=1$", 0), 0u) << *hash;
    EXPECT_EQ(hash->find("correct horse"), std::string::npos);
    auto good = verify_local_password(*hash, Secret("correct horse"));
    ASSERT_TRUE(good.ok());
    EXPECT_TRUE(*good);
    auto bad = verify_local_password(*hash, Secret("correct horsf"));
    ASSERT_TRUE(bad.ok());
    EXPECT_FALSE(*bad);
    auto empty = verify_local_password(*hash, Secret(""));
    ASSERT_TRUE(empty.ok());
    EXPECT_FALSE(*empty);
}

TEST(LocalPassword, SaltsDiffer) {
    auto a = hash_local_password(Secret("pw"));
    auto b = hash_local_password(Secret("pw"));
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(*a, *b);
}

TEST(LocalPassword, MalformedHashesAreErrorsNamingTheFix) {
    for (const char* text :
         {"", "plain", "$scrypt$", "$scrypt$ln=15,r=8,p=1$", "$scrypt$ln=15,r=8,p=1$AAAA$",
          "$scrypt$ln=99,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
          "$scrypt$ln=15,r=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==extra$",
          "$scrypt$ln=15,r=8,p=1,q=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
          "$scrypt$ln=x,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
          "$scrypt$ln=15,r=8,p=1$!!!!$aGFzaGhhc2hoYXNoaGFzaA==", "$bcrypt$whatever"}) {
        auto result = verify_local_password(text, Secret("pw"));
        ASSERT_FALSE(result.ok()) << text;
        EXPECT_NE(result.error().message.find("mailbridge hash-password"), std::string::npos);
    }
}

TEST(LocalPassword, ConstantTimeEquality) {
    EXPECT_TRUE(mb::session::equal_secrets_constant_time(Secret("abc"), Secret("abc")));
    EXPECT_FALSE(mb::session::equal_secrets_constant_time(Secret("abc"), Secret("abd")));
    EXPECT_FALSE(mb::session::equal_secrets_constant_time(Secret("abc"), Secret("abcd")));
    EXPECT_FALSE(mb::session::equal_secrets_constant_time(Secret(""), Secret("a")));
}

}  // namespace
