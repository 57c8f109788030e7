// HttpResponse serialization. See http_response.h.
#include "bridge/health/http_response.h"

#include <algorithm>

namespace mb::health {
namespace {

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

bool is_safe_value(std::string_view text) {
    return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Headers serialize() writes itself; a route may not set them.
bool is_reserved(std::string_view name) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    for (std::string_view reserved :
         {"content-type", "content-length", "connection", "transfer-encoding"}) {
        if (std::equal(name.begin(), name.end(), reserved.begin(), reserved.end(),
                       [&](char a, char b) { return lower(a) == b; }))
            return true;
    }
    return false;
}

}  // namespace

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 303:
            return "See Other";
        case 302:
            return "Found";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 409:
            return "Conflict";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 411:
            return "Length Required";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 421:
            return "Misdirected Request";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

HttpResponse plain_response(int status, std::string_view reason) {
    HttpResponse response;
    response.status = status;
    response.body = std::string(reason.empty() ? reason_phrase(status) : reason) + "\n";
    return response;
}

std::string serialize(const HttpResponse& response, bool head_only) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + ' ' +
                      std::string(reason_phrase(response.status)) + "\r\n";
    if (is_safe_value(response.content_type))
        out += "Content-Type: " + response.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n";
    for (const auto& [name, value] : response.headers)
        if (is_token(name) && !is_reserved(name) && is_safe_value(value))
            out += name + ": " + value + "\r\n";
    out += "\r\n";
    if (!head_only) out += response.body;
    return out;
}

}  // namespace mb::health
