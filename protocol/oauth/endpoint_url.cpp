// Endpoint URL checks (see endpoint_url.h).
#include "protocol/oauth/endpoint_url.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace mb::protocol::oauth {
namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char p, char t) {
               return p == std::tolower(static_cast<unsigned char>(t));
           });
}

bool is_loopback_host(std::string_view host) {
    std::string lower(host);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower == "127.0.0.1" || lower == "localhost" || lower == "[::1]";
}

}  // namespace

Result<void> check_endpoint_url(std::string_view url, std::string_view what) {
    std::string name(what);
    if (url.empty()) return make_error(name + " is empty");
    if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
        return make_error(name + " contains spaces or control characters");
    bool https = starts_with_ignoring_case(url, "https://");
    bool http = starts_with_ignoring_case(url, "http://");
    if (!https && !http) return make_error(name + " must be an https:// URL");
    std::string_view rest = url.substr(https ? 8 : 7);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos)
        return make_error(name + " must not carry credentials in the URL");
    if (url.find('#') != std::string_view::npos)
        return make_error(name + " must not have a fragment (#...)");
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        if (close == std::string_view::npos) return make_error(name + " has an unclosed [");
        std::string_view after = host.substr(close + 1);
        if (!after.empty() && after.front() != ':')
            return make_error(name + " has text after the ] of its address");
        host = host.substr(0, close + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    if (host.empty() || host == "[]") return make_error(name + " has no host");
    std::string_view port = authority.substr(host.size());
    if (!port.empty()) {
        port.remove_prefix(1);
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(),
                         [](unsigned char c) { return std::isdigit(c) != 0; }) ||
            std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0)
            return make_error(name + " has an invalid port");
    }
    if (http && !is_loopback_host(host))
        return make_error(name +
                          " must use https:// (plain http:// is allowed only for "
                          "127.0.0.1, localhost and [::1])");
    return {};
}

}  // namespace mb::protocol::oauth
