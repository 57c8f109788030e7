// Tests for Digest (RFC 7616): the section 3.9.1 vectors (MD5 and SHA-256, Mufasa / Circle of
// Life), -sess variants, userhash, RFC 2069 style without qop, username*, and refused challenges.
#include "protocol/http/digest_auth.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace mb::protocol::http;
using mb::Secret;

Challenge parsed(std::string_view value) {
    auto c = parse_challenges({value});
    EXPECT_TRUE(c.ok() && c->size() == 1);
    return c.ok() && !c->empty() ? c->front() : Challenge{};
}

DigestChallenge digest_of(std::string_view value) {
    auto d = read_digest_challenge(parsed(value));
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
    return d.ok() ? d.value() : DigestChallenge{};
}

constexpr std::string_view kRfcChallenge =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=ALGO, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
constexpr std::string_view kRfcCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

std::string rfc_challenge(std::string_view algorithm) {
    std::string text(kRfcChallenge);
    text.replace(text.find("ALGO"), 4, algorithm);
    return text;
}

std::string rfc_answer(std::string_view algorithm) {
    auto value = digest_authorization(
        digest_of(rfc_challenge(algorithm)), "Mufasa", Secret("Circle of Life"),
        {.method = "GET", .uri = "/dir/index.html", .cnonce = kRfcCnonce, .nc = 1});
    EXPECT_TRUE(value.ok());
    return value.ok() ? value->reveal() : "";
}

TEST(DigestAuth, Rfc7616Md5Vector) {
    EXPECT_EQ(rfc_answer("MD5"),
              "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
              "uri=\"/dir/index.html\", algorithm=MD5, "
              "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
              "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
              "response=\"8ca523f5e9506fed4657c9700eebdbec\", "
              "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
}

TEST(DigestAuth, Rfc7616Sha256Vector) {
    auto answer = rfc_answer("SHA-256");
    EXPECT_NE(answer.find(
                  "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""),
              std::string::npos)
        << answer;
    EXPECT_NE(answer.find("algorithm=SHA-256,"), std::string::npos);
}

TEST(DigestAuth, AlgorithmNamesAreCaseInsensitiveAndDefaultToMd5) {
    EXPECT_EQ(digest_of(rfc_challenge("sha-256-SESS")).algorithm, DigestAlgorithm::sha256_sess);
    EXPECT_EQ(digest_of(rfc_challenge("md5-sess")).algorithm, DigestAlgorithm::md5_sess);
    auto squid = digest_of(R"(Digest realm="r", nonce="n", qop="auth", stale=false)");
    EXPECT_EQ(squid.algorithm, DigestAlgorithm::md5);
    EXPECT_TRUE(squid.qop_auth);
    EXPECT_FALSE(squid.stale);
    EXPECT_FALSE(squid.has_opaque);
    EXPECT_TRUE(digest_of(R"(Digest realm="r", nonce="n", stale=TRUE)").stale);
}

TEST(DigestAuth, SessVariantsHashWithNonceAndCnonce) {
    // MD5-sess: HA1 = MD5(MD5("Mufasa:http-auth@example.org:Circle of Life"):nonce:cnonce);
    // computed independently with Python's hashlib.
    auto md5 = rfc_answer("MD5");
    auto md5_sess = rfc_answer("MD5-sess");
    EXPECT_NE(md5_sess.find("algorithm=MD5-sess,"), std::string::npos);
    EXPECT_NE(md5_sess.find("response=\"e783283f46242139c486a698fec7211d\""), std::string::npos)
        << md5_sess;
    auto sha_sess = rfc_answer("SHA-256-sess");
    EXPECT_NE(sha_sess.find("algorithm=SHA-256-sess,"), std::string::npos);
    EXPECT_NE(sha_sess.find(
                  "response=\"2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7\""),
              std::string::npos)
        << sha_sess;
    EXPECT_NE(md5, md5_sess);
}

TEST(DigestAuth, WithoutQopUsesRfc2069Response) {
    // response = MD5(HA1:nonce:HA2), no nc/cnonce/qop in the answer (value from Python hashlib).
    auto value = digest_authorization(
        digest_of(
            R"(Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093")"),
        "Mufasa", Secret("Circle Of Life"),
        {.method = "GET", .uri = "/dir/index.html", .cnonce = "", .nc = 1});
    ASSERT_TRUE(value.ok());
    EXPECT_NE(value->reveal().find("response=\"670fd8c2df070c60b045671b8b24ff02\""),
              std::string::npos)
        << value->reveal();
    EXPECT_EQ(value->reveal().find("cnonce"), std::string::npos);
    EXPECT_EQ(value->reveal().find("qop"), std::string::npos);
}

TEST(DigestAuth, UserhashHidesTheUsername) {
    auto challenge = digest_of(rfc_challenge("SHA-256") + ", userhash=true");
    ASSERT_TRUE(challenge.userhash);
    auto value =
        digest_authorization(challenge, "J\xC3\xA4s\xC3\xB8n Doe", Secret("Secret, or not?"),
                             {.method = "GET",
                              .uri = "/doe.json",
                              .cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
                              .nc = 1});
    ASSERT_TRUE(value.ok());
    // userhash = SHA-256("Jäsøn Doe:http-auth@example.org"): 64 hex digits, the name never sent.
    const auto& text = value->reveal();
    EXPECT_EQ(text.find("Doe"), std::string::npos);
    EXPECT_NE(text.find("userhash=true"), std::string::npos);
    EXPECT_EQ(text.rfind(
                  "Digest "
                  "username=\"d1b8b7c3547b1ff28d0956e751ab1d229d1e8a9e8ed1147f10c8f1bbabc5715b\", ",
                  0),
              0u)
        << text;
}

TEST(DigestAuth, NonAsciiUsernameUsesExtValue) {
    auto value = digest_authorization(digest_of(R"(Digest realm="r", nonce="n", qop="auth")"),
                                      "J\xC3\xA4s\xC3\xB8n Doe", Secret("pw"),
                                      {.method = "CONNECT", .uri = "h:1", .cnonce = "c", .nc = 1});
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value->reveal().rfind("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, ", 0), 0u)
        << value->reveal();
}

TEST(DigestAuth, QuotesInUsernameAreEscaped) {
    auto value = digest_authorization(digest_of(R"(Digest realm="r", nonce="n", qop="auth")"),
                                      "a\"b\\c", Secret("pw"),
                                      {.method = "CONNECT", .uri = "h:1", .cnonce = "c", .nc = 1});
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value->reveal().rfind("Digest username=\"a\\\"b\\\\c\", ", 0), 0u);
    EXPECT_NE(value->reveal().find("nc=00000001"), std::string::npos);
}

TEST(DigestAuth, NonceCountIsEightHexDigits) {
    auto value = digest_authorization(
        digest_of(R"(Digest realm="r", nonce="n", qop="auth")"), "u", Secret("p"),
        {.method = "CONNECT", .uri = "h:1", .cnonce = "c", .nc = 0x1af});
    ASSERT_TRUE(value.ok());
    EXPECT_NE(value->reveal().find("nc=000001af,"), std::string::npos);
}

TEST(DigestAuth, RefusedChallenges) {
    for (const char* text : {
             R"(Digest nonce="n")",
             R"(Digest realm="r")",
             R"(Digest realm="r", nonce="")",
             R"(Digest realm="r", nonce="n", algorithm=SHA-512-256)",
             R"(Digest realm="r", nonce="n", algorithm=token)",
             R"(Digest realm="r", nonce="n", qop="auth-int")",
             R"(Basic realm="r")",
         }) {
        EXPECT_FALSE(read_digest_challenge(parsed(text)).ok()) << text;
    }
}

TEST(DigestAuth, BadCnonceIsRefused) {
    auto challenge = digest_of(R"(Digest realm="r", nonce="n", qop="auth")");
    for (std::string_view cnonce : {"", "a\"b", "a b", "a\\b"}) {
        EXPECT_FALSE(
            digest_authorization(challenge, "u", Secret("p"),
                                 {.method = "CONNECT", .uri = "h:1", .cnonce = cnonce, .nc = 1})
                .ok())
            << cnonce;
    }
}

}  // namespace
