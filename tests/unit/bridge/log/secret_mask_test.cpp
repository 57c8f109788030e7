// Tests for SecretMask: masking, overlaps, counting, and that masking a line does not depend on
// how many values were registered and forgotten before.
#include "bridge/log/secret_mask.h"

#include <gtest/gtest.h>

#include <string>

namespace mb::log {
namespace {

TEST(SecretMask, MasksEveryOccurrenceAnywhere) {
    SecretMask mask;
    mask.add("tok-1234");
    EXPECT_EQ(mask.apply("a tok-1234 b tok-1234tok-1234"), "a *** b ***");  // adjacent: one run
    EXPECT_EQ(mask.apply("tok-123"), "tok-123");
    EXPECT_EQ(mask.apply(""), "");
    EXPECT_EQ(mask.apply("tok"), "tok");
}

TEST(SecretMask, OverlappingValuesAreMaskedWhole) {
    SecretMask mask;
    mask.add("abcd");
    mask.add("abcdefgh");
    mask.add("cdefghij");
    EXPECT_EQ(mask.apply("xabcdefghy"), "x***y");
    EXPECT_EQ(mask.apply("xabcdzz"), "x***zz");
    EXPECT_EQ(mask.apply("xcdefghijz"), "x***z");
    // A value starting inside another one's occurrence is not left partly readable.
    EXPECT_EQ(mask.apply("xabcdefghijz"), "x***z");
    mask.add("wxyz-1");
    mask.add("z-12345678");
    EXPECT_EQ(mask.apply("<wxyz-12345678>"), "<***>");
    EXPECT_EQ(mask.apply("abcdabcd"), "***");
}

TEST(SecretMask, ValuesAreCountedAndForgottenWhole) {
    SecretMask mask;
    mask.add("secret-one");
    mask.add("secret-one");
    EXPECT_EQ(mask.size(), 1u);
    mask.remove("secret-one");
    EXPECT_EQ(mask.apply("secret-one"), "***");
    mask.remove("secret-one");
    EXPECT_EQ(mask.apply("secret-one"), "secret-one");
    EXPECT_EQ(mask.size(), 0u);
    mask.remove("never-added");
    EXPECT_EQ(mask.size(), 0u);
}

TEST(SecretMask, ShortValuesAreIgnored) {
    SecretMask mask;
    mask.add("abc");
    EXPECT_EQ(mask.size(), 0u);
    EXPECT_EQ(mask.apply("abc abc"), "abc abc");
}

TEST(SecretMask, BinaryAndHostileBytes) {
    SecretMask mask;
    const std::string nul_secret("\0\0\0\0x", 5);
    mask.add(nul_secret);
    mask.add("\xff\xfe\xfd\xfc");
    EXPECT_EQ(mask.apply(std::string("a") + nul_secret + "b"), "a***b");
    EXPECT_EQ(mask.apply("\xff\xfe\xfd\xfc\xff"), "***\xff");
    EXPECT_EQ(mask.apply(std::string("\0\0\0\0", 4)), std::string("\0\0\0\0", 4));
}

TEST(SecretMask, TokensSharingAJwtHeaderAreEachMasked) {
    SecretMask mask;
    const std::string header = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.";
    for (int i = 0; i < 50; ++i) mask.add(header + "payload-" + std::to_string(i) + ".sig");
    EXPECT_EQ(mask.apply("Bearer " + header + "payload-7.sig end"), "Bearer *** end");
    EXPECT_EQ(mask.apply(header + "payload-99.sig"), header + "payload-99.sig");
}

// What a line costs is what it is compared with: after 100,000 values came and went, the mask
// holds nothing and a line is copied as it is (the former set kept every value ever seen).
TEST(SecretMask, ForgottenValuesLeaveNothingBehind) {
    SecretMask mask;
    mask.add("config-secret-value");
    for (int i = 0; i < 100000; ++i) {
        const std::string blob = "sasl-blob-" + std::to_string(i) + std::string(40, 'x');
        mask.add(blob);
        mask.remove(blob);
    }
    EXPECT_EQ(mask.size(), 1u);
    EXPECT_EQ(mask.apply("sasl-blob-5" + std::string(40, 'x') + " config-secret-value"),
              "sasl-blob-5" + std::string(40, 'x') + " ***");
}

}  // namespace
}  // namespace mb::log
