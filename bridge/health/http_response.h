// HttpResponse: what a health route answers, and its serialization as an HTTP/1.1 response that
// always ends the connection (Connection: close), so no request body or pipelining needs handling.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mb::health {

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    // Extra headers (Allow, Location, Retry-After …). A header whose name is not a token, names
    // one serialize() writes itself (Content-Type, Content-Length, Connection,
    // Transfer-Encoding) or whose value holds CR, LF or NUL is dropped when serialized.
    std::vector<std::pair<std::string, std::string>> headers;
};

// A short text/plain answer: "<reason>\n" or the status' reason phrase when reason is empty.
HttpResponse plain_response(int status, std::string_view reason = {});

// "OK", "Not Found" …; "Unknown" for codes not used here.
std::string_view reason_phrase(int status);

// Status line, Content-Type, Content-Length, Cache-Control: no-store, X-Content-Type-Options:
// nosniff, Connection: close, the extra headers, and the body unless head_only (a HEAD request).
std::string serialize(const HttpResponse& response, bool head_only);

}  // namespace mb::health
