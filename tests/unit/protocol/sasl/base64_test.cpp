// Tests for the strict base64 codec: RFC 4648 vectors, round trips of every byte value, and every
// kind of malformed input.
#include "protocol/sasl/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace mb::protocol::sasl {
namespace {

TEST(SaslBase64, Rfc4648Vectors) {
    const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded);
        auto decoded = base64_decode(encoded);
        ASSERT_TRUE(decoded) << encoded;
        EXPECT_EQ(*decoded, plain);
    }
}

TEST(SaslBase64, RoundTripsEveryByteAtEveryLength) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (std::size_t n = 0; n <= all.size(); ++n) {
        std::string data = all.substr(256 - n);
        auto decoded = base64_decode(base64_encode(data));
        ASSERT_TRUE(decoded);
        EXPECT_EQ(*decoded, data);
    }
}

TEST(SaslBase64, RejectsMalformedText) {
    for (std::string bad : {"Zg=", "Zg", "Z", "Zm9", "Zm9v\r\n", " Zm9v", "Zm 9",
                            "Zm9v====", "====", "A===", "Z=g=", "=Zg=", "Zg==Zg==", "Zm9-", "Zm9_",
                            "Zh==", "Zm9=", "Zm8*", "\xc3\xa4\x41\x41"}) {
        EXPECT_FALSE(base64_decode(bad)) << bad;
    }
    EXPECT_EQ(base64_decode("Zh==").error().message,
              "base64 text has non-zero bits before its padding");
    EXPECT_EQ(base64_decode("Zg=").error().message, "base64 text length is not a multiple of 4");
    EXPECT_EQ(base64_decode("Zg==Zg==").error().message, "base64 padding appears before the end");
    EXPECT_FALSE(base64_decode(std::string("Zm9\0", 4)));
}

}  // namespace
}  // namespace mb::protocol::sasl
