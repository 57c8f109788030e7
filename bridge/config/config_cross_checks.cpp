// Checks across tables (see config_cross_checks.h).
#include "bridge/config/config_cross_checks.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace mb::config {
namespace {

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string line_of(SourcePos at) {
    return "line " + std::to_string(at.line);
}

bool before(SourcePos a, SourcePos b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
}

// Reports the second and later uses of each name among one kind of table.
template <typename Settings>
void check_unique_names(const std::vector<Settings>& items,
                        const std::vector<SectionPositions>& positions, std::string_view table,
                        DiagnosticList& diagnostics) {
    std::unordered_map<std::string_view, std::size_t> first_use;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].name.empty()) continue;
        auto [first, inserted] = first_use.emplace(items[i].name, i);
        if (inserted) continue;
        diagnostics.add(positions[i].of("name"),
                        std::string(table) + " name \"" + items[i].name + "\" is already used at " +
                            line_of(positions[first->second].of("name")) + "; give each " +
                            std::string(table) + " its own name");
    }
}

struct Listener {
    std::string label;
    const HostPort* address;
    SourcePos at;
};

bool is_wildcard(const std::string& host) {
    return host == "0.0.0.0" || host == "::";
}

// Two listeners clash on the same port when their hosts are equal or either is a wildcard.
void check_unique_listeners(const Config& config, const ConfigPositions& positions,
                            DiagnosticList& diagnostics) {
    std::vector<Listener> listeners;
    if (config.daemon.health_listen)
        listeners.push_back(Listener{"health_listen in [daemon]", &*config.daemon.health_listen,
                                     positions.daemon.of("health_listen")});
    for (std::size_t i = 0; i < config.servers.size(); ++i) {
        const auto& server = config.servers[i];
        if (server.listen.port == 0) continue;
        std::string label = "listen of [[server]]";
        if (!server.name.empty()) label += " \"" + server.name + "\"";
        listeners.push_back(Listener{label, &server.listen, positions.servers[i].of("listen")});
    }
    std::stable_sort(listeners.begin(), listeners.end(),
                     [](const Listener& a, const Listener& b) { return before(a.at, b.at); });
    std::map<std::pair<uint16_t, std::string>, const Listener*> by_address;
    std::map<uint16_t, const Listener*> first_on_port;
    std::map<uint16_t, const Listener*> wildcard_on_port;
    for (const Listener& listener : listeners) {
        const uint16_t port = listener.address->port;
        const std::string host = lowercase(listener.address->host);
        const Listener* earlier = nullptr;
        if (auto same = by_address.find({port, host}); same != by_address.end())
            earlier = same->second;
        else if (auto wildcard = wildcard_on_port.find(port); wildcard != wildcard_on_port.end())
            earlier = wildcard->second;
        else if (auto any = first_on_port.find(port);
                 is_wildcard(host) && any != first_on_port.end())
            earlier = any->second;
        if (earlier) {
            diagnostics.add(listener.at, listener.label + " " + listener.address->to_string() +
                                             " clashes with " + earlier->label + " " +
                                             earlier->address->to_string() + " at " +
                                             line_of(earlier->at) +
                                             "; use another port or address");
            continue;
        }
        by_address.emplace(std::make_pair(port, host), &listener);
        first_on_port.emplace(port, &listener);
        if (is_wildcard(host)) wildcard_on_port.emplace(port, &listener);
    }
}

void check_unique_logins(const Config& config, const ConfigPositions& positions,
                         DiagnosticList& diagnostics) {
    std::unordered_map<std::string, std::size_t> first_use;
    for (std::size_t i = 0; i < config.accounts.size(); ++i) {
        if (config.accounts[i].login.empty()) continue;
        auto [first, inserted] = first_use.emplace(lowercase(config.accounts[i].login), i);
        if (inserted) continue;
        const AccountSettings& owner = config.accounts[first->second];
        std::string owner_label = owner.name.empty() ? std::string("another [[account]]")
                                                     : "[[account]] \"" + owner.name + "\"";
        diagnostics.add(positions.accounts[i].of("login"),
                        "login \"" + config.accounts[i].login + "\" is already claimed by " +
                            owner_label + " at " +
                            line_of(positions.accounts[first->second].of("login")) +
                            "; each login (or *@domain pattern) may belong to one account");
    }
}

class ProxyReferences {
  public:
    explicit ProxyReferences(const Config& config) {
        for (const auto& proxy : config.proxies) {
            if (proxy.name.empty()) continue;
            if (names_.insert(proxy.name).second && names_.size() <= max_listed)
                known_ += (known_.empty() ? "\"" : ", \"") + proxy.name + "\"";
        }
    }

    void check(const std::string& proxy, SourcePos at, std::string_view table,
               DiagnosticList& diagnostics) const {
        if (proxy.empty() || names_.contains(proxy)) return;
        std::string message = "proxy \"" + proxy + "\" in " + std::string(table) +
                              " is not defined; add a [[proxy]] with name = \"" + proxy +
                              "\" or remove the key";
        if (!known_.empty()) message += " (defined: " + known_ + ")";
        diagnostics.add(at, message);
    }

  private:
    static constexpr std::size_t max_listed = 10;
    std::unordered_set<std::string> names_;
    std::string known_;
};

// A password account may log in through any listener: none may skip certificate checks.
void check_unverified_password_routes(const Config& config, const ConfigPositions& positions,
                                      DiagnosticList& diagnostics) {
    std::string password_accounts;
    for (const auto& account : config.accounts) {
        if (account.auth != AccountAuth::password || account.name.empty()) continue;
        password_accounts += (password_accounts.empty() ? "\"" : ", \"") + account.name + "\"";
    }
    if (password_accounts.empty()) return;
    for (std::size_t i = 0; i < config.servers.size(); ++i) {
        if (config.servers[i].verify) continue;
        diagnostics.add(positions.servers[i].of("verify"),
                        "verify = false in [[server]] \"" + config.servers[i].name +
                            "\" would send the upstream password of auth = \"password\" "
                            "account(s) " +
                            password_accounts +
                            " to a server whose certificate is not checked; set verify = true "
                            "(and ca_file for a private CA)");
    }
}

}  // namespace

void check_across_tables(const Config& config, const ConfigPositions& positions,
                         DiagnosticList& diagnostics) {
    check_unverified_password_routes(config, positions, diagnostics);
    check_unique_names(config.servers, positions.servers, "[[server]]", diagnostics);
    check_unique_names(config.proxies, positions.proxies, "[[proxy]]", diagnostics);
    check_unique_names(config.accounts, positions.accounts, "[[account]]", diagnostics);
    check_unique_listeners(config, positions, diagnostics);
    check_unique_logins(config, positions, diagnostics);
    // A proxy whose own name is broken has been reported; do not also report its users.
    const bool proxy_names_complete =
        std::none_of(config.proxies.begin(), config.proxies.end(),
                     [](const ProxySettings& proxy) { return proxy.name.empty(); });
    if (!proxy_names_complete) return;
    const ProxyReferences references(config);
    for (std::size_t i = 0; i < config.servers.size(); ++i)
        references.check(config.servers[i].proxy, positions.servers[i].of("proxy"), "[[server]]",
                         diagnostics);
    for (std::size_t i = 0; i < config.accounts.size(); ++i)
        references.check(config.accounts[i].proxy, positions.accounts[i].of("proxy"), "[[account]]",
                         diagnostics);
}

}  // namespace mb::config
