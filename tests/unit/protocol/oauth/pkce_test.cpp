// Tests for PKCE S256 (RFC 7636 appendix B) and base64url.
#include "protocol/oauth/pkce.h"

#include <gtest/gtest.h>

namespace po = mb::protocol::oauth;

TEST(Pkce, Rfc7636AppendixB) {
    const unsigned char random[] = {116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
                                    125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
                                    191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
    auto pkce = po::make_pkce(std::string_view(reinterpret_cast<const char*>(random), 32));
    EXPECT_EQ(pkce.verifier.reveal(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    EXPECT_EQ(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    EXPECT_EQ(pkce.verifier.reveal().size(), 43u);
}

TEST(Pkce, Base64UrlHasNoPaddingAndUrlAlphabet) {
    EXPECT_EQ(po::base64url(""), "");
    EXPECT_EQ(po::base64url("f"), "Zg");
    EXPECT_EQ(po::base64url("fo"), "Zm8");
    EXPECT_EQ(po::base64url("foo"), "Zm9v");
    EXPECT_EQ(po::base64url("foob"), "Zm9vYg");
    EXPECT_EQ(po::base64url("\xfb\xff\xbf"), "-_-_");
}

TEST(Pkce, DifferentVerifiersDifferentChallenges) {
    EXPECT_NE(po::s256_challenge("a"), po::s256_challenge("b"));
    EXPECT_EQ(po::s256_challenge("a").size(), 43u);
}
