// Look-ups on the typed configuration declared in config_model.h.
#include "bridge/config/config_model.h"

#include <algorithm>

namespace mb::config {
namespace {

template <typename Settings>
const Settings* find_by_name(const std::vector<Settings>& items, const std::string& name) {
    auto it = std::find_if(items.begin(), items.end(),
                           [&](const Settings& item) { return item.name == name; });
    return it == items.end() ? nullptr : &*it;
}

}  // namespace

const ProxySettings* Config::find_proxy(const std::string& name) const {
    return find_by_name(proxies, name);
}

const AccountSettings* Config::find_account(const std::string& name) const {
    return find_by_name(accounts, name);
}

const ServerSettings* Config::find_server(const std::string& name) const {
    return find_by_name(servers, name);
}

}  // namespace mb::config
