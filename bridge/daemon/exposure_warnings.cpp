// Which listeners are reachable from other machines without TLS, and what to tell the admin.
#include "bridge/daemon/exposure_warnings.h"

#include <arpa/inet.h>

#include <cstring>

namespace mb::daemon {

bool is_loopback_host(std::string_view host) {
    if (host == "localhost") return true;
    std::string text(host);
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
    if (std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0) return true;
    static const unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(v6.s6_addr, kMappedPrefix, sizeof kMappedPrefix) == 0 &&
           v6.s6_addr[12] == 127;
}

std::vector<std::string> exposure_warnings(const config::Config& next,
                                           const config::Config* previous) {
    std::vector<std::string> out;
    for (const auto& server : next.servers) {
        if (server.local_tls != config::LocalTls::none || is_loopback_host(server.listen.host))
            continue;
        if (previous) {
            const config::ServerSettings* was = previous->find_server(server.name);
            if (was && was->listen == server.listen && was->local_tls == server.local_tls) continue;
        }
        out.push_back("[[server]] " + server.name + " listens on " + server.listen.to_string() +
                      " (not loopback) with local_tls = \"none\": passwords and mail cross the "
                      "network in clear text; set local_tls = \"starttls\" or \"implicit\" with "
                      "local_cert and local_key, or listen on 127.0.0.1");
    }
    const auto& health = next.daemon.health_listen;
    if (health && !is_loopback_host(health->host) &&
        !(previous && previous->daemon.health_listen == health)) {
        out.push_back("[daemon] health_listen = \"" + health->to_string() +
                      "\" is not loopback and the health endpoint has no TLS: metrics, account "
                      "state and the /auth pages are reachable in clear text from other machines; "
                      "listen on 127.0.0.1 or put a TLS proxy in front of it");
    }
    return out;
}

}  // namespace mb::daemon
