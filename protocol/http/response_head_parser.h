// ResponseHeadParser: a sans-I/O, incremental parser for a proxy's answer to CONNECT. It reads the
// status line and headers and, for a refusal (407, 403, 5xx), reads and discards the body so the
// connection can carry the next CONNECT. feed() says how many bytes it took, so the bytes after a
// 200's head (an IMAP greeting that came in the same read) stay with the caller for the tunnel.
// Owned by one ProxyTunnel attempt; it copies only the head's strings, all bounded below.
//
// Decisions (RFC 9112 leaves them to the recipient):
// - Lines end with CRLF or a bare LF; a CR anywhere else is an error.
// - Obsolete line folding is joined into the previous header's value with one space.
// - 1xx interim responses are skipped; a 2xx to CONNECT has no body (its Content-Length and
//   Transfer-Encoding are ignored, RFC 9110 §9.3.6); 204 and 304 have none either.
// - Other bodies: chunked when Transfer-Encoding ends in "chunked", else Content-Length (all copies
//   equal), else the body runs until the proxy closes: the parser stops at the head and reports
//   that the connection cannot be reused. Transfer-Encoding with Content-Length → chunked, not
//   reused.
// - HTTP/1.0 keeps the connection only with "keep-alive"; "close" in Connection or
//   Proxy-Connection ends it for any version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::protocol::http {

// The whole head (status line, headers, the empty line) of one response.
inline constexpr std::size_t kMaxResponseHeadBytes = 16 * 1024;
// Header lines in one response head.
inline constexpr std::size_t kMaxResponseHeaders = 100;
// Interim (1xx) heads skipped before the final one.
inline constexpr std::size_t kMaxInterimResponses = 4;
// Body bytes of a refusal read and thrown away (squid's 407 page is about 3 KB).
inline constexpr std::uint64_t kMaxDiscardedBodyBytes = 1024 * 1024;
// A chunk-size line with its extensions, and one trailer line.
inline constexpr std::size_t kMaxChunkLineBytes = 1024;

struct ResponseHeader {
    std::string name;   // as sent (compare case-insensitively)
    std::string value;  // folded lines joined, without leading and trailing whitespace
};

struct ResponseHead {
    int version_minor = 1;  // HTTP/1.<minor>
    int status = 0;
    std::string reason;  // e.g. "Proxy Authentication Required"; may be empty
    std::vector<ResponseHeader> headers;

    // The first header with this name (case-insensitive), if any.
    std::optional<std::string_view> header(std::string_view name) const;
    // Every header with this name, in order.
    std::vector<std::string_view> headers_named(std::string_view name) const;
};

enum class ResponseState {
    need_more,  // all bytes given were taken; feed more
    done,       // the final head (and any body) is complete
    failed,     // the response is malformed or over a limit; error() says why; close the connection
};

struct ResponseProgress {
    ResponseState state = ResponseState::need_more;
    std::size_t consumed = 0;  // bytes of this feed() input that belong to the response
};

class ResponseHeadParser {
  public:
    // After done or failed, feed() takes nothing and repeats the state.
    ResponseProgress feed(std::string_view bytes);

    // Valid once done.
    const ResponseHead& head() const { return head_; }
    // Once done: whether the proxy keeps the connection open for another request.
    bool reusable() const { return reusable_; }
    const std::string& error() const { return error_; }

  private:
    enum class Phase {
        head,
        fixed_body,
        chunk_size,
        chunk_data,
        chunk_data_end,
        trailer,
        done,
        failed
    };

    // Each returns false after recording an error.
    bool take_head_byte(char c);
    bool end_head_line();
    bool parse_status_line(std::string_view line);
    bool parse_header_line(std::string_view line);
    bool end_head();
    bool take_line_byte(char c, std::size_t limit, const char* what);
    bool end_chunk_size_line();
    bool fail(std::string reason);
    void finish();

    Phase phase_ = Phase::head;
    std::string line_;
    std::size_t head_bytes_ = 0;
    std::size_t interim_heads_ = 0;
    std::size_t trailer_lines_ = 0;
    bool status_line_seen_ = false;
    ResponseHead head_;
    bool reusable_ = true;
    std::uint64_t body_left_ = 0;
    std::uint64_t body_total_ = 0;
    std::string error_;
};

}  // namespace mb::protocol::http
