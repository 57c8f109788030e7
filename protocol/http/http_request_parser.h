// RequestParser: a sans-I/O, incremental parser for the head of an HTTP/1.1 request, made for the
// tiny health server. The caller feeds received bytes; the parser owns the few strings it builds
// (bounded by the limits below) and hands a Request back by value when the head is complete.
//
// Decisions (RFC 9112 leaves them to the recipient):
// - A line ends with CRLF; a bare LF is accepted as a line end too (curl never sends one, a human
//   with `nc` does). A CR that is not followed by LF is an error.
// - No empty lines before the request line, no whitespace before a header's colon, no obsolete
//   line folding; single spaces in the request line. Header names are case-insensitive.
// - Bodies are not supported: Content-Length other than 0 → 413, any Transfer-Encoding → 411,
//   both at once → 400. An HTTP/1.1 request needs exactly one Host header (400 otherwise).
// - Methods not known to HTTP → 501; versions other than HTTP/1.x → 505.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mb::protocol::http {

// The whole head (request line, headers, the empty line) may not exceed this; beyond → 431.
inline constexpr std::size_t kMaxRequestHeadBytes = 8 * 1024;
// The request target (path and query); beyond → 414.
inline constexpr std::size_t kMaxRequestTargetBytes = 2 * 1024;
// Header lines in one request; the next one → 431.
inline constexpr std::size_t kMaxRequestHeaders = 50;

struct Header {
    std::string name;   // as sent (compare case-insensitively)
    std::string value;  // without leading and trailing whitespace
};

struct Request {
    std::string method;   // e.g. "GET" (methods are case-sensitive)
    std::string target;   // as sent, e.g. "/readyz?verbose=1"
    std::string version;  // "HTTP/1.0" or "HTTP/1.1" (any HTTP/1.x)
    std::vector<Header> headers;

    // The value of the first header with this name (case-insensitive), if any.
    std::optional<std::string_view> header(std::string_view name) const;
    // The target without its query ("/readyz" for "/readyz?verbose=1").
    std::string_view path() const;
};

// Feed more bytes: everything given was taken into the head.
struct NeedMore {};
// The head is complete. `consumed` counts the bytes of the last feed() input that belong to the
// head; any bytes after them belong to whatever follows (the parser has not looked at them).
struct Done {
    std::size_t consumed = 0;
    Request request;
};
// The request is not acceptable. `status` is the HTTP status to answer with (400, 411, 413, 414,
// 431, 501, 505), `reason` a short human-readable explanation that never echoes the input. The
// stream is unusable afterwards: answer and close the connection.
struct ParseError {
    int status = 400;
    std::string reason;
};
using ParseResult = std::variant<NeedMore, Done, ParseError>;

class RequestParser {
  public:
    // Takes bytes up to the end of the head. After Done the parser is ready for the next request
    // (feed it the bytes after `consumed`); after ParseError it answers every feed with the same
    // error.
    ParseResult feed(std::string_view bytes);

  private:
    enum class State {
        method,
        target,
        version,
        request_line_lf,
        header_start,
        header_name,
        header_value,
        header_lf,
        final_lf,
        failed,
    };

    // Each returns an error for the byte, or nothing when it was taken.
    std::optional<ParseError> take(unsigned char c);
    std::optional<ParseError> take_request_line_byte(unsigned char c);
    std::optional<ParseError> take_header_byte(unsigned char c);
    std::optional<ParseError> end_request_line();
    std::optional<ParseError> end_header();
    std::optional<ParseError> check_complete_head() const;
    void reset();

    State state_ = State::method;
    bool head_complete_ = false;
    std::size_t head_bytes_ = 0;
    Request request_;
    ParseError error_;
};

}  // namespace mb::protocol::http
