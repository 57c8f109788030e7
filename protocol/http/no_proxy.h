// no_proxy matching for [[proxy]] no_proxy lists: which upstream hosts bypass the proxy. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mb::protocol::http {

// True when host matches an entry, case-insensitively and ignoring a trailing dot: "name" matches
// exactly that host (or IP literal, IPv6 with or without brackets); ".example.com" matches
// example.com itself and every name under it ("imap.example.com"), never "badexample.com".
bool bypasses_proxy(std::string_view host, const std::vector<std::string>& no_proxy);

}  // namespace mb::protocol::http
