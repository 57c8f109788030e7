// Tests for the proxy response-head parser: 200 with tunnel bytes behind it, 407/403 bodies by
// Content-Length and chunked, folding, duplicates, connection reuse rules, interim heads, hostile
// inputs and every limit; each input whole, byte by byte, and split at every boundary.
#include "protocol/http/response_head_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace mb::protocol::http;

struct Outcome {
    ResponseState state = ResponseState::need_more;
    std::size_t end = 0;  // absolute offset after the response (done)
    int status = 0;
    int minor = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    bool reusable = false;
    std::string error;
    bool operator==(const Outcome&) const = default;
};

Outcome run(const std::vector<std::string_view>& pieces) {
    ResponseHeadParser parser;
    Outcome out;
    std::size_t offset = 0;
    for (auto piece : pieces) {
        auto progress = parser.feed(piece);
        out.state = progress.state;
        if (progress.state == ResponseState::need_more) {
            EXPECT_EQ(progress.consumed, piece.size());
            offset += piece.size();
            continue;
        }
        if (progress.state == ResponseState::done) {
            out.end = offset + progress.consumed;
            out.status = parser.head().status;
            out.minor = parser.head().version_minor;
            out.reason = parser.head().reason;
            for (const auto& h : parser.head().headers) out.headers.emplace_back(h.name, h.value);
            out.reusable = parser.reusable();
        } else {
            out.error = parser.error();
            EXPECT_FALSE(out.error.empty());
        }
        return out;
    }
    return out;
}

// The outcome for the input whole, checked equal for one byte at a time and every 2-way split.
Outcome parse(std::string_view input) {
    Outcome whole = run({input});
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    EXPECT_EQ(run(bytes), whole) << "byte by byte";
    for (std::size_t cut = 1; cut < input.size(); ++cut) {
        EXPECT_EQ(run({input.substr(0, cut), input.substr(cut)}), whole) << "split at " << cut;
    }
    return whole;
}

TEST(ResponseHeadParser, ConnectEstablishedLeavesTunnelBytes) {
    std::string head = "HTTP/1.1 200 Connection established\r\n\r\n";
    std::string input = head + "* OK IMAP4rev1 ready\r\n";
    auto out = parse(input);
    ASSERT_EQ(out.state, ResponseState::done);
    EXPECT_EQ(out.end, head.size());
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(out.reason, "Connection established");
    EXPECT_TRUE(out.reusable);
}

TEST(ResponseHeadParser, TwoHundredIgnoresContentLength) {
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
    auto out = parse(head + "\x16\x03\x01");
    ASSERT_EQ(out.state, ResponseState::done);
    EXPECT_EQ(out.end, head.size());
}

TEST(ResponseHeadParser, BareLfAndMissingReason) {
    auto out = parse("HTTP/1.0 200\nProxy-agent: x\n\nrest");
    ASSERT_EQ(out.state, ResponseState::done);
    EXPECT_EQ(out.end, 29u);
    EXPECT_EQ(out.minor, 0);
    EXPECT_EQ(out.reason, "");
    EXPECT_FALSE(out.reusable);  // HTTP/1.0 without keep-alive
}

TEST(ResponseHeadParser, ProxyAuthRequiredBodyIsDiscarded) {
    std::string body(3000, 'x');
    std::string response =
        "HTTP/1.1 407 Proxy Authentication Required\r\n"
        "Server: squid/5.7\r\n"
        "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth\", stale=false\r\n"
        "Proxy-Authenticate: Basic realm=\"r\"\r\n"
        "Content-Length: 3000\r\n"
        "Content-Type: text/html\r\n\r\n" +
        body;
    // Split over every boundary would be slow for 3 KB bodies: check whole and byte by byte.
    Outcome whole = run({response + "NEXT"});
    ASSERT_EQ(whole.state, ResponseState::done);
    EXPECT_EQ(whole.end, response.size());
    EXPECT_EQ(whole.status, 407);
    EXPECT_TRUE(whole.reusable);
    ASSERT_EQ(whole.headers.size(), 5u);
    EXPECT_EQ(whole.headers[2].second, "Basic realm=\"r\"");
    std::vector<std::string_view> bytes;
    std::string_view view(response);
    for (std::size_t i = 0; i < view.size(); ++i) bytes.push_back(view.substr(i, 1));
    EXPECT_EQ(run(bytes), whole);
}

TEST(ResponseHeadParser, ChunkedBodyWithExtensionsAndTrailers) {
    std::string response =
        "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        "5;name=value\r\nhello\r\n"
        "A\r\n0123456789\r\n"
        "0\r\nX-Trailer: yes\r\n\r\n";
    auto out = parse(response + "after");
    ASSERT_EQ(out.state, ResponseState::done);
    EXPECT_EQ(out.end, response.size());
    EXPECT_EQ(out.status, 403);
    EXPECT_TRUE(out.reusable);
}

TEST(ResponseHeadParser, ChunkDataLongerThanItsSizeFails) {
    auto out = parse(
        "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(out.state, ResponseState::failed);
}

TEST(ResponseHeadParser, MalformedChunkSizes) {
    for (const char* size : {"\r\n", "zz\r\n", "1234567890abcdef0\r\n", "5 x\r\n", "-1\r\n"}) {
        std::string response =
            std::string("HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n") + size;
        EXPECT_EQ(parse(response).state, ResponseState::failed) << size;
    }
}

TEST(ResponseHeadParser, FoldedAndDuplicateHeaders) {
    auto out = parse(
        "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Digest realm=\"r\",\r\n"
        "   nonce=\"n\"\r\n\tqop=\"auth\"\r\nProxy-Authenticate: Basic realm=\"r\"\r\n"
        "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok");
    ASSERT_EQ(out.state, ResponseState::done);
    ASSERT_GE(out.headers.size(), 2u);
    EXPECT_EQ(out.headers[0].second, "Digest realm=\"r\", nonce=\"n\" qop=\"auth\"");
    EXPECT_EQ(out.headers[1].second, "Basic realm=\"r\"");
}

TEST(ResponseHeadParser, ConnectionCloseVariants) {
    EXPECT_FALSE(
        parse("HTTP/1.1 407 x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").reusable);
    EXPECT_FALSE(
        parse("HTTP/1.1 407 x\r\nProxy-Connection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n")
            .reusable);
    EXPECT_TRUE(parse("HTTP/1.0 407 x\r\nProxy-Connection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                    .reusable);
    EXPECT_FALSE(parse("HTTP/1.0 407 x\r\nContent-Length: 0\r\n\r\n").reusable);
}

TEST(ResponseHeadParser, BodyUntilCloseStopsAtHeadAndIsNotReusable) {
    std::string head = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n";
    auto out = parse(head + "<html>");
    ASSERT_EQ(out.state, ResponseState::done);
    EXPECT_EQ(out.end, head.size());
    EXPECT_FALSE(out.reusable);
    auto te = parse("HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: gzip\r\n\r\n");
    EXPECT_EQ(te.state, ResponseState::done);
    EXPECT_FALSE(te.reusable);
}

TEST(ResponseHeadParser, ContentLengthWithTransferEncodingIsChunkedAndNotReusable) {
    std::string response =
        "HTTP/1.1 403 F\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    auto out = parse(response);
    ASSERT_EQ(out.state, ResponseState::done);
    EXPECT_EQ(out.end, response.size());
    EXPECT_FALSE(out.reusable);
}

TEST(ResponseHeadParser, InterimResponsesAreSkipped) {
    std::string response = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
    auto out = parse(response + "x");
    ASSERT_EQ(out.state, ResponseState::done);
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(out.end, response.size());
    std::string many;
    for (std::size_t i = 0; i <= kMaxInterimResponses; ++i)
        many += "HTTP/1.1 102 Processing\r\n\r\n";
    EXPECT_EQ(parse(many).state, ResponseState::failed);
    EXPECT_EQ(parse("HTTP/1.1 101 Switching Protocols\r\n\r\n").state, ResponseState::failed);
}

TEST(ResponseHeadParser, NoBodyStatuses) {
    std::string head = "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n";
    auto out = parse(head + "x");
    ASSERT_EQ(out.state, ResponseState::done);
    EXPECT_EQ(out.end, head.size());
}

TEST(ResponseHeadParser, HostileInputsFail) {
    for (const char* input : {
             "HTTP/2 200 OK\r\n\r\n",
             "HTTP/1.1 20 OK\r\n\r\n",
             "HTTP/1.1 2000 OK\r\n\r\n",
             "HTTP/1.1 abc OK\r\n\r\n",
             "HTTP/1.1 099 Low\r\n\r\n",
             "HTTP/1.1 600 High\r\n\r\n",
             "HTTP/1.1 874 Continue\r\n\r\n",
             "http/1.1 200 OK\r\n\r\n",
             "HTTP/1.1  200 OK\r\n\r\n",
             "SSH-2.0-OpenSSH_9.2\r\n\r\n",
             "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
             "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
             "HTTP/1.1 200 OK\r\n: empty\r\n\r\n",
             "HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
             "HTTP/1.1 200 OK\r\n folded-first\r\n\r\n",
             "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
             "HTTP/1.1 200 OK\r\nX: a\x01 b\r\n\r\n",
             "HTTP/1.1 200 O\x7fK\r\n\r\n",
             "HTTP/1.1 407 x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
             "HTTP/1.1 407 x\r\nContent-Length: 1, 2\r\n\r\n",
             "HTTP/1.1 407 x\r\nContent-Length: -1\r\n\r\n",
             "HTTP/1.1 407 x\r\nContent-Length: 0x10\r\n\r\n",
             "HTTP/1.1 407 x\r\nContent-Length: 99999999999999999999\r\n\r\n",
             "HTTP/1.1 407 x\r\nContent-Length: 1048577\r\n\r\n",
         }) {
        auto out = parse(input);
        EXPECT_EQ(out.state, ResponseState::failed) << input;
    }
}

TEST(ResponseHeadParser, HeadLimitAtAndPastTheEdge) {
    const std::string start = "HTTP/1.1 200 OK\r\nX: ";
    const std::string end = "\r\n\r\n";
    std::string fits =
        start + std::string(kMaxResponseHeadBytes - start.size() - end.size(), 'a') + end;
    ASSERT_EQ(fits.size(), kMaxResponseHeadBytes);
    EXPECT_EQ(run({fits}).state, ResponseState::done);
    std::string over =
        start + std::string(kMaxResponseHeadBytes - start.size() - end.size() + 1, 'a') + end;
    EXPECT_EQ(run({over}).state, ResponseState::failed);
}

TEST(ResponseHeadParser, HeaderCountLimit) {
    std::string input = "HTTP/1.1 200 OK\r\n";
    for (std::size_t i = 0; i < kMaxResponseHeaders; ++i) input += "X: y\r\n";
    EXPECT_EQ(run({input + "\r\n"}).state, ResponseState::done);
    EXPECT_EQ(run({input + "X: y\r\n\r\n"}).state, ResponseState::failed);
}

TEST(ResponseHeadParser, ChunkedBodyLimit) {
    std::string input = "HTTP/1.1 403 x\r\nTransfer-Encoding: chunked\r\n\r\n";
    input += "100001\r\n";  // 1 MiB + 1
    EXPECT_EQ(run({input}).state, ResponseState::failed);
}

TEST(ResponseHeadParser, AfterTheEndFeedTakesNothing) {
    ResponseHeadParser parser;
    auto first = parser.feed("HTTP/1.1 200 OK\r\n\r\nabc");
    EXPECT_EQ(first.state, ResponseState::done);
    EXPECT_EQ(first.consumed, 19u);
    auto again = parser.feed("more");
    EXPECT_EQ(again.state, ResponseState::done);
    EXPECT_EQ(again.consumed, 0u);

    ResponseHeadParser broken;
    EXPECT_EQ(broken.feed("garbage\r\n").state, ResponseState::failed);
    auto still = broken.feed("HTTP/1.1 200 OK\r\n\r\n");
    EXPECT_EQ(still.state, ResponseState::failed);
    EXPECT_EQ(still.consumed, 0u);
}

TEST(ResponseHeadParser, HeaderLookupIsCaseInsensitive) {
    ResponseHeadParser parser;
    ASSERT_EQ(parser
                  .feed("HTTP/1.1 407 x\r\nproxy-authenticate: A\r\nPROXY-AUTHENTICATE: B\r\n"
                        "Content-Length: 0\r\n\r\n")
                  .state,
              ResponseState::done);
    EXPECT_EQ(parser.head().header("Proxy-Authenticate"), "A");
    auto all = parser.head().headers_named("Proxy-Authenticate");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1], "B");
    EXPECT_FALSE(parser.head().header("Missing"));
}

}  // namespace
