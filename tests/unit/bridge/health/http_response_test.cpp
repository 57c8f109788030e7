// Tests for HTTP response serialization: framing headers, HEAD, and header injection defence.
#include "bridge/health/http_response.h"

#include <gtest/gtest.h>

namespace {

using mb::health::HttpResponse;
using mb::health::plain_response;
using mb::health::serialize;

TEST(HttpResponse, SerializesWithFramingHeaders) {
    EXPECT_EQ(serialize(plain_response(200, "ok"), false),
              "HTTP/1.1 200 OK\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Content-Length: 3\r\n"
              "Cache-Control: no-store\r\n"
              "X-Content-Type-Options: nosniff\r\n"
              "Connection: close\r\n"
              "\r\n"
              "ok\n");
}

TEST(HttpResponse, HeadKeepsLengthButDropsBody) {
    std::string text = serialize(plain_response(404), true);
    EXPECT_TRUE(text.starts_with("HTTP/1.1 404 Not Found\r\n"));
    EXPECT_NE(text.find("Content-Length: 10\r\n"), std::string::npos);  // "Not Found\n"
    EXPECT_TRUE(text.ends_with("\r\n\r\n"));
}

TEST(HttpResponse, DropsUnsafeAndReservedHeaders) {
    HttpResponse response = plain_response(302, "see elsewhere");
    response.headers = {{"Location", "/ok"},     {"X-Evil", "a\r\nSet-Cookie: x=1"},
                        {"Bad Name", "v"},       {"X-Nul", std::string("a\0b", 3)},
                        {"content-length", "0"}, {"Connection", "keep-alive"}};
    std::string text = serialize(response, false);
    EXPECT_NE(text.find("\r\nLocation: /ok\r\n"), std::string::npos);
    EXPECT_EQ(text.find("Set-Cookie"), std::string::npos);
    EXPECT_EQ(text.find("Bad Name"), std::string::npos);
    EXPECT_EQ(text.find("X-Nul"), std::string::npos);
    EXPECT_EQ(text.find("content-length: 0"), std::string::npos);
    EXPECT_EQ(text.find("keep-alive"), std::string::npos);
    EXPECT_TRUE(text.starts_with("HTTP/1.1 302 Found\r\n"));
}

TEST(HttpResponse, ReasonPhrases) {
    for (int status : {400, 411, 413, 414, 431, 501, 505, 503, 405})
        EXPECT_NE(mb::health::reason_phrase(status), "Unknown") << status;
    EXPECT_EQ(mb::health::reason_phrase(299), "Unknown");
}

}  // namespace
