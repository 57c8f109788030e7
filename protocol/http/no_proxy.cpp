// no_proxy matching: see no_proxy.h.
#include "protocol/http/no_proxy.h"

#include "protocol/http/token_syntax.h"

namespace mb::protocol::http {
namespace {

std::string_view normalized(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    return host;
}

}  // namespace

bool bypasses_proxy(std::string_view host, const std::vector<std::string>& no_proxy) {
    host = normalized(host);
    if (host.empty()) return false;
    for (const auto& raw : no_proxy) {
        std::string_view entry = normalized(trim_whitespace(raw));
        if (entry.empty()) continue;
        if (entry.front() == '.') {
            std::string_view domain = entry.substr(1);
            if (domain.empty()) continue;
            if (equals_ignoring_case(host, domain)) return true;
            if (host.size() > entry.size() &&
                equals_ignoring_case(host.substr(host.size() - entry.size()), entry))
                return true;
        } else if (equals_ignoring_case(host, entry)) {
            return true;
        }
    }
    return false;
}

}  // namespace mb::protocol::http
