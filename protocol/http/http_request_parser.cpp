// RequestParser: a byte-at-a-time state machine over the request head, so that the result never
// depends on how the input was split across feeds. See the header for the accepted syntax.
#include "protocol/http/http_request_parser.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace mb::protocol::http {
namespace {

// Methods defined by RFC 9110 and RFC 5789; anything else is answered with 501.
constexpr std::array<std::string_view, 9> kKnownMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
constexpr std::size_t kLongestKnownMethod = 7;
// "HTTP/1.1"
constexpr std::size_t kVersionLength = 8;

bool is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
bool is_visible(unsigned char c) {
    return c >= 0x21 && c <= 0x7e;
}
bool is_whitespace(unsigned char c) {
    return c == ' ' || c == '\t';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_whitespace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && is_whitespace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

ParseError error(int status, std::string reason) {
    return ParseError{status, std::move(reason)};
}

// Parses one Content-Length element; nullopt when it is not a decimal number. Values past
// 10^18 saturate: they are refused as too large anyway.
std::optional<std::uint64_t> parse_length(std::string_view text) {
    constexpr std::uint64_t kSaturated = 1'000'000'000'000'000'000ULL;
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (!is_digit(c)) return std::nullopt;
        value = std::min(kSaturated, value * 10 + static_cast<std::uint64_t>(c - '0'));
    }
    return value;
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (const Header& h : headers)
        if (equals_ignoring_case(h.name, name)) return std::string_view(h.value);
    return std::nullopt;
}

std::string_view Request::path() const {
    std::string_view t(target);
    return t.substr(0, t.find('?'));
}

ParseResult RequestParser::feed(std::string_view bytes) {
    if (state_ == State::failed) return error_;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::optional<ParseError> failure;
        if (++head_bytes_ > kMaxRequestHeadBytes) {
            failure = error(431, "the request head is larger than " +
                                     std::to_string(kMaxRequestHeadBytes) + " bytes");
        } else {
            failure = take(static_cast<unsigned char>(bytes[i]));
        }
        if (!failure && head_complete_) failure = check_complete_head();
        if (failure) {
            state_ = State::failed;
            error_ = std::move(*failure);
            return error_;
        }
        if (head_complete_) {
            Done done{i + 1, std::move(request_)};
            reset();
            return done;
        }
    }
    return NeedMore{};
}

void RequestParser::reset() {
    state_ = State::method;
    head_complete_ = false;
    head_bytes_ = 0;
    request_ = Request{};
}

std::optional<ParseError> RequestParser::take(unsigned char c) {
    switch (state_) {
        case State::method:
        case State::target:
        case State::version:
        case State::request_line_lf:
            return take_request_line_byte(c);
        default:
            return take_header_byte(c);
    }
}

std::optional<ParseError> RequestParser::take_request_line_byte(unsigned char c) {
    switch (state_) {
        case State::method:
            if (is_tchar(c)) {
                if (request_.method.size() == kLongestKnownMethod)
                    return error(501, "the request method is not implemented");
                request_.method.push_back(static_cast<char>(c));
                return std::nullopt;
            }
            if (request_.method.empty())
                return error(400, "not an HTTP request: it must start with a method such as GET");
            if (c != ' ') return error(400, "the request method contains a character not allowed");
            if (std::find(kKnownMethods.begin(), kKnownMethods.end(), request_.method) ==
                kKnownMethods.end())
                return error(501, "the request method is not implemented");
            state_ = State::target;
            return std::nullopt;
        case State::target:
            if (is_visible(c)) {
                if (request_.target.size() == kMaxRequestTargetBytes)
                    return error(414, "the request target is longer than " +
                                          std::to_string(kMaxRequestTargetBytes) + " bytes");
                request_.target.push_back(static_cast<char>(c));
                return std::nullopt;
            }
            if (c == ' ' && !request_.target.empty()) {
                state_ = State::version;
                return std::nullopt;
            }
            if (c == ' ') return error(400, "the request target is missing");
            if (c == '\r' || c == '\n')
                return error(400,
                             "the request line has no HTTP version (HTTP/0.9 is not supported)");
            return error(400, "the request target contains a character not allowed");
        case State::version:
            if (c == '\r') {
                state_ = State::request_line_lf;
                return std::nullopt;
            }
            if (c == '\n') return end_request_line();
            if (request_.version.size() == kVersionLength)
                return error(400, "the HTTP version in the request line is malformed");
            request_.version.push_back(static_cast<char>(c));
            return std::nullopt;
        default:  // request_line_lf
            if (c == '\n') return end_request_line();
            return error(400, "a CR without LF ends the request line");
    }
}

std::optional<ParseError> RequestParser::end_request_line() {
    const std::string& v = request_.version;
    bool well_formed = v.size() == kVersionLength && v.starts_with("HTTP/") && is_digit(v[5]) &&
                       v[6] == '.' && is_digit(v[7]);
    if (!well_formed) return error(400, "the HTTP version in the request line is malformed");
    if (v[5] != '1') return error(505, "the HTTP version is not supported; use HTTP/1.1");
    state_ = State::header_start;
    return std::nullopt;
}

std::optional<ParseError> RequestParser::take_header_byte(unsigned char c) {
    switch (state_) {
        case State::header_start:
            if (c == '\r') {
                state_ = State::final_lf;
                return std::nullopt;
            }
            if (c == '\n') {
                head_complete_ = true;
                return std::nullopt;
            }
            if (is_whitespace(c))
                return error(400, "obsolete header line folding is not supported");
            if (!is_tchar(c))
                return error(400, "a header field name contains a character not allowed");
            if (request_.headers.size() == kMaxRequestHeaders)
                return error(431, "the request has more than " +
                                      std::to_string(kMaxRequestHeaders) + " header fields");
            request_.headers.push_back(Header{std::string(1, static_cast<char>(c)), {}});
            state_ = State::header_name;
            return std::nullopt;
        case State::header_name:
            if (is_tchar(c)) {
                request_.headers.back().name.push_back(static_cast<char>(c));
                return std::nullopt;
            }
            if (c == ':') {
                state_ = State::header_value;
                return std::nullopt;
            }
            if (is_whitespace(c))
                return error(400, "whitespace between a header field name and its colon");
            if (c == '\r' || c == '\n') return error(400, "a header line has no colon");
            return error(400, "a header field name contains a character not allowed");
        case State::header_value: {
            std::string& value = request_.headers.back().value;
            if (c == '\r') {
                state_ = State::header_lf;
                return std::nullopt;
            }
            if (c == '\n') return end_header();
            if (is_whitespace(c)) {
                if (!value.empty()) value.push_back(static_cast<char>(c));
                return std::nullopt;
            }
            if (is_visible(c) || c >= 0x80) {
                value.push_back(static_cast<char>(c));
                return std::nullopt;
            }
            return error(400, "a header field value contains a control character");
        }
        case State::header_lf:
            if (c == '\n') return end_header();
            return error(400, "a CR without LF ends a header line");
        default:  // final_lf
            if (c == '\n') {
                head_complete_ = true;
                return std::nullopt;
            }
            return error(400, "a CR without LF ends the request head");
    }
}

std::optional<ParseError> RequestParser::end_header() {
    std::string& value = request_.headers.back().value;
    value.resize(trim(value).size());
    state_ = State::header_start;
    return std::nullopt;
}

std::optional<ParseError> RequestParser::check_complete_head() const {
    std::size_t hosts = 0;
    bool transfer_encoding = false;
    std::optional<std::uint64_t> content_length;
    for (const Header& h : request_.headers) {
        if (equals_ignoring_case(h.name, "Host")) ++hosts;
        if (equals_ignoring_case(h.name, "Transfer-Encoding")) transfer_encoding = true;
        if (!equals_ignoring_case(h.name, "Content-Length")) continue;
        std::string_view rest = h.value;
        while (true) {
            std::size_t comma = rest.find(',');
            std::optional<std::uint64_t> length = parse_length(trim(rest.substr(0, comma)));
            if (!length) return error(400, "the Content-Length header is malformed");
            if (content_length && *content_length != *length)
                return error(400, "the request has conflicting Content-Length values");
            content_length = length;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    bool http11 = request_.version != "HTTP/1.0";
    if (http11 ? hosts != 1 : hosts > 1)
        return error(400, "an HTTP/1.1 request needs exactly one Host header");
    if (transfer_encoding && content_length)
        return error(400, "the request has both Content-Length and Transfer-Encoding");
    if (transfer_encoding)
        return error(411, "request bodies are not accepted; send no Transfer-Encoding");
    if (content_length && *content_length > 0)
        return error(413, "request bodies are not accepted; Content-Length must be 0");
    return std::nullopt;
}

}  // namespace mb::protocol::http
