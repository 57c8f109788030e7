// Tests for the HTTP request-head parser: accepted forms, every error status, the limits at and
// past their edge, and split invariance (each input whole, byte by byte, and split at every
// boundary).
#include "protocol/http/http_request_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using mb::protocol::http::Done;
using mb::protocol::http::kMaxRequestHeadBytes;
using mb::protocol::http::kMaxRequestHeaders;
using mb::protocol::http::kMaxRequestTargetBytes;
using mb::protocol::http::NeedMore;
using mb::protocol::http::ParseError;
using mb::protocol::http::ParseResult;
using mb::protocol::http::Request;
using mb::protocol::http::RequestParser;

// One parse, flattened so that runs with different splits compare with ==.
struct Outcome {
    enum class Kind { need_more, done, error } kind = Kind::need_more;
    std::size_t head_end = 0;  // absolute offset of the byte after the head (done)
    std::string method, target, version;
    std::vector<std::pair<std::string, std::string>> headers;
    int status = 0;
    std::string reason;
    bool operator==(const Outcome&) const = default;
};

Outcome run(const std::vector<std::string_view>& pieces) {
    RequestParser parser;
    Outcome out;
    std::size_t offset = 0;
    for (std::string_view piece : pieces) {
        ParseResult result = parser.feed(piece);
        if (auto* done = std::get_if<Done>(&result)) {
            out.kind = Outcome::Kind::done;
            out.head_end = offset + done->consumed;
            out.method = done->request.method;
            out.target = done->request.target;
            out.version = done->request.version;
            for (const auto& h : done->request.headers) out.headers.emplace_back(h.name, h.value);
            return out;
        }
        if (auto* failure = std::get_if<ParseError>(&result)) {
            out.kind = Outcome::Kind::error;
            out.status = failure->status;
            out.reason = failure->reason;
            return out;
        }
        offset += piece.size();
    }
    return out;
}

// Inputs up to this size are split at every boundary. Longer ones (the limit tests, 8 KB) are split
// at every boundary of their first and last kEdgeBytes and every kStride-th one in between: all
// their structure lies at the edges, the middle is one long run of filler.
constexpr std::size_t kAllSplitsUpTo = 1024;
constexpr std::size_t kEdgeBytes = 128;
constexpr std::size_t kStride = 101;

bool split_here(std::size_t split, std::size_t size) {
    return size <= kAllSplitsUpTo || split < kEdgeBytes || split + kEdgeBytes > size ||
           split % kStride == 0;
}

// Parses `input` whole, then byte by byte and split in two at every boundary; every run must give
// the same outcome, which is returned.
Outcome parse_all_splits(std::string_view input) {
    Outcome whole = run({input});
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    EXPECT_EQ(run(bytes), whole) << "byte by byte";
    for (std::size_t split = 1; split < input.size(); ++split) {
        if (!split_here(split, input.size())) continue;
        Outcome parts = run({input.substr(0, split), input.substr(split)});
        EXPECT_EQ(parts, whole) << "split at " << split;
        if (!(parts == whole)) break;
    }
    return whole;
}

int error_status(std::string_view input) {
    Outcome out = parse_all_splits(input);
    EXPECT_EQ(out.kind, Outcome::Kind::error) << input;
    EXPECT_FALSE(out.reason.empty());
    return out.status;
}

TEST(HttpRequestParser, ParsesSimpleGet) {
    std::string input =
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8025\r\nUser-Agent: curl/7.88\r\n\r\n";
    Outcome out = parse_all_splits(input);
    ASSERT_EQ(out.kind, Outcome::Kind::done);
    EXPECT_EQ(out.head_end, input.size());
    EXPECT_EQ(out.method, "GET");
    EXPECT_EQ(out.target, "/healthz");
    EXPECT_EQ(out.version, "HTTP/1.1");
    ASSERT_EQ(out.headers.size(), 2u);
    EXPECT_EQ(out.headers[0].first, "Host");
    EXPECT_EQ(out.headers[0].second, "127.0.0.1:8025");
    EXPECT_EQ(out.headers[1].second, "curl/7.88");
}

TEST(HttpRequestParser, IncompleteHeadNeedsMore) {
    std::string input = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (std::size_t n = 0; n <= input.size(); ++n)
        EXPECT_EQ(parse_all_splits(input.substr(0, n)).kind, Outcome::Kind::need_more) << n;
    EXPECT_EQ(parse_all_splits("GET / HTTP/1.1\r\nHost: x\r\n\r").kind, Outcome::Kind::need_more);
}

TEST(HttpRequestParser, BareLineFeedsEndLines) {
    Outcome out = parse_all_splits("GET /metrics HTTP/1.1\nHost: h\n\n");
    ASSERT_EQ(out.kind, Outcome::Kind::done);
    EXPECT_EQ(out.target, "/metrics");
    EXPECT_EQ(out.headers.at(0).second, "h");
    EXPECT_EQ(parse_all_splits("GET / HTTP/1.1\r\nHost: h\n\r\n").kind, Outcome::Kind::done);
}

TEST(HttpRequestParser, StopsAtTheEndOfTheHeadAndParsesTheNextRequest) {
    std::string first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string second = "HEAD /b HTTP/1.0\r\n\r\n";
    std::string both = first + second;
    EXPECT_EQ(parse_all_splits(both).head_end, first.size());

    RequestParser parser;
    ParseResult r1 = parser.feed(both);
    ASSERT_TRUE(std::holds_alternative<Done>(r1));
    std::size_t consumed = std::get<Done>(r1).consumed;
    ParseResult r2 = parser.feed(std::string_view(both).substr(consumed));
    ASSERT_TRUE(std::holds_alternative<Done>(r2));
    EXPECT_EQ(std::get<Done>(r2).consumed, second.size());
    EXPECT_EQ(std::get<Done>(r2).request.method, "HEAD");
    EXPECT_EQ(std::get<Done>(r2).request.target, "/b");
}

TEST(HttpRequestParser, HeaderNamesAreCaseInsensitiveAndValuesTrimmed) {
    RequestParser parser;
    ParseResult result = parser.feed(
        "GET /readyz?x=1 HTTP/1.1\r\nhOsT:   h  \t\r\nX-Empty:\r\nX-Obs: caf\xc3\xa9\r\n\r\n");
    ASSERT_TRUE(std::holds_alternative<Done>(result));
    const Request& request = std::get<Done>(result).request;
    EXPECT_EQ(request.header("HOST"), "h");
    EXPECT_EQ(request.header("host"), "h");
    EXPECT_EQ(request.header("x-empty"), "");
    EXPECT_EQ(request.header("x-obs"), "caf\xc3\xa9");
    EXPECT_FALSE(request.header("Accept").has_value());
    EXPECT_EQ(request.path(), "/readyz");
}

TEST(HttpRequestParser, Http10NeedsNoHost) {
    Outcome out = parse_all_splits("GET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(out.kind, Outcome::Kind::done);
    EXPECT_EQ(out.version, "HTTP/1.0");
    EXPECT_EQ(error_status("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

TEST(HttpRequestParser, HostIsRequiredOnceInHttp11) {
    EXPECT_EQ(error_status("GET / HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400);
}

TEST(HttpRequestParser, RejectsMalformedRequestLines) {
    EXPECT_EQ(error_status("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400);  // TLS hello
    EXPECT_EQ(error_status(std::string("\0GET / HTTP/1.1\r\n", 17)), 400);
    EXPECT_EQ(error_status(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(error_status("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(error_status("GET  / HTTP/1.1\r\n"), 400);
    EXPECT_EQ(error_status("GET\t/ HTTP/1.1\r\n"), 400);
    EXPECT_EQ(error_status("G(T / HTTP/1.1\r\n"), 400);
    EXPECT_EQ(error_status("GET /\r\n"), 400);
    EXPECT_EQ(error_status("GET /\n"), 400);
    EXPECT_EQ(error_status("GET /a\x01z HTTP/1.1\r\n"), 400);
    EXPECT_EQ(error_status("GET /a\x80z HTTP/1.1\r\n"), 400);
    EXPECT_EQ(error_status("GET / HTTP/1.1 \r\n"), 400);
    EXPECT_EQ(error_status("GET / HTTP/1.1x\r\n"), 400);
    EXPECT_EQ(error_status("GET / http/1.1\r\n"), 400);
    EXPECT_EQ(error_status("GET / HTTP/11\r\n"), 400);
    EXPECT_EQ(error_status("GET / HTTP/1.\r\n"), 400);
    EXPECT_EQ(error_status("GET / HTTP/1.1\rX"), 400);
    EXPECT_EQ(error_status("GET / HTTP/1.1\r\r\n"), 400);
}

TEST(HttpRequestParser, UnknownMethodsAreNotImplemented) {
    EXPECT_EQ(error_status("FOO / HTTP/1.1\r\n"), 501);
    EXPECT_EQ(error_status("get / HTTP/1.1\r\n"), 501);
    EXPECT_EQ(error_status("GETGETGET"), 501);  // longer than any method, refused at once
    EXPECT_EQ(error_status("BREW /pot HTTP/1.1\r\n"), 501);
    for (std::string method : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
        EXPECT_EQ(parse_all_splits(method + " / HTTP/1.1\r\nHost: h\r\n\r\n").kind,
                  Outcome::Kind::done)
            << method;
}

TEST(HttpRequestParser, OtherMajorVersionsAreNotSupported) {
    EXPECT_EQ(error_status("GET / HTTP/2.0\r\n"), 505);
    EXPECT_EQ(error_status("GET / HTTP/0.9\r\n"), 505);
    EXPECT_EQ(parse_all_splits("GET / HTTP/1.9\r\nHost: h\r\n\r\n").kind, Outcome::Kind::done);
}

TEST(HttpRequestParser, TargetLengthLimit) {
    std::string at_limit = "/" + std::string(kMaxRequestTargetBytes - 1, 'a');
    Outcome ok = parse_all_splits("GET " + at_limit + " HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(ok.kind, Outcome::Kind::done);
    EXPECT_EQ(ok.target, at_limit);
    EXPECT_EQ(error_status("GET " + at_limit + "a HTTP/1.1\r\nHost: h\r\n\r\n"), 414);
    // Refused as soon as the target passes the limit, without waiting for the line to end.
    EXPECT_EQ(error_status("GET " + at_limit + "a"), 414);
}

TEST(HttpRequestParser, RejectsMalformedHeaders) {
    const std::string line = "GET / HTTP/1.1\r\nHost: h\r\n";
    EXPECT_EQ(error_status(line + "NoColon\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "Name : v\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + ": v\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "X-A: v\r\n folded\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "X-A: v\r\n\tfolded\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "X-A: a\x01z\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + std::string("X-A: a\0z\r\n\r\n", 12)), 400);
    EXPECT_EQ(error_status(line + "X-A: a\x7fz\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "X-A: a\rz\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "X(A): v\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "X-A: v\r\n\rX"), 400);
}

TEST(HttpRequestParser, HeaderCountLimit) {
    std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (std::size_t i = 1; i < kMaxRequestHeaders; ++i)
        head += "X-" + std::to_string(i) + ": v\r\n";
    Outcome ok = parse_all_splits(head + "\r\n");
    ASSERT_EQ(ok.kind, Outcome::Kind::done);
    EXPECT_EQ(ok.headers.size(), kMaxRequestHeaders);
    EXPECT_EQ(error_status(head + "X-Last: v\r\n\r\n"), 431);
    EXPECT_EQ(error_status(head + "X"), 431);
}

TEST(HttpRequestParser, HeadSizeLimit) {
    std::string start = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
    std::string end = "\r\n\r\n";
    std::string at_limit =
        start + std::string(kMaxRequestHeadBytes - start.size() - end.size(), 'p') + end;
    ASSERT_EQ(at_limit.size(), kMaxRequestHeadBytes);
    Outcome ok = parse_all_splits(at_limit);
    ASSERT_EQ(ok.kind, Outcome::Kind::done);
    EXPECT_EQ(ok.head_end, kMaxRequestHeadBytes);

    std::string over =
        start + std::string(kMaxRequestHeadBytes - start.size() - end.size() + 1, 'p') + end;
    EXPECT_EQ(error_status(over), 431);
    // A head that never ends is refused once it passes the limit.
    EXPECT_EQ(error_status(start + std::string(kMaxRequestHeadBytes, 'p')), 431);
}

TEST(HttpRequestParser, BodiesAreRefused) {
    const std::string line = "POST /x HTTP/1.1\r\nHost: h\r\n";
    EXPECT_EQ(parse_all_splits(line + "Content-Length: 0\r\n\r\n").kind, Outcome::Kind::done);
    EXPECT_EQ(parse_all_splits(line + "Content-Length: 0, 00\r\n\r\n").kind, Outcome::Kind::done);
    EXPECT_EQ(parse_all_splits(line + "Content-Length: 0\r\ncontent-length: 0\r\n\r\n").kind,
              Outcome::Kind::done);
    EXPECT_EQ(error_status(line + "Content-Length: 5\r\n\r\nhello"), 413);
    EXPECT_EQ(error_status(line + "Content-Length: 99999999999999999999999999\r\n\r\n"), 413);
    EXPECT_EQ(error_status(line + "Content-Length: 1, 2\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "Content-Length: 0\r\nContent-Length: 1\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "Content-Length: -1\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "Content-Length: 0x10\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "Content-Length:\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "Content-Length: 1,\r\n\r\n"), 400);
    EXPECT_EQ(error_status(line + "Transfer-Encoding: chunked\r\n\r\n"), 411);
    EXPECT_EQ(error_status(line + "transfer-encoding: gzip\r\n\r\n"), 411);
    EXPECT_EQ(error_status(line + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"), 400);
}

TEST(HttpRequestParser, ErrorIsFinal) {
    RequestParser parser;
    ParseResult first = parser.feed("FOO / HTTP/1.1\r\n");
    ASSERT_TRUE(std::holds_alternative<ParseError>(first));
    ParseResult again = parser.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(std::holds_alternative<ParseError>(again));
    EXPECT_EQ(std::get<ParseError>(again).status, 501);
}

TEST(HttpRequestParser, ReasonsNeverEchoTheInput) {
    for (std::string input : {"GET /s3cret-token\x01 HTTP/1.1\r\n",
                              "GET / HTTP/1.1\r\nAuthorization: Bearer s3cret-token\x01\r\n\r\n"}) {
        Outcome out = parse_all_splits(input);
        ASSERT_EQ(out.kind, Outcome::Kind::error);
        EXPECT_EQ(out.reason.find("s3cret"), std::string::npos);
    }
}

TEST(HttpRequestParser, RandomInputIsSplitInvariant) {
    std::mt19937 rng(20240611);
    const std::string alphabet =
        "GETHOST /:\r\n\t\x01\x80"
        "1.Pcl-0";
    const std::string prefixes[] = {"", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: h\r\n"};
    for (int round = 0; round < 300; ++round) {
        std::string input = prefixes[round % 3];
        std::size_t length = rng() % 64;
        for (std::size_t i = 0; i < length; ++i) input.push_back(alphabet[rng() % alphabet.size()]);
        parse_all_splits(input);
        if (HasFailure()) {
            ADD_FAILURE() << "input " << ::testing::PrintToString(input);
            break;
        }
    }
}

}  // namespace
