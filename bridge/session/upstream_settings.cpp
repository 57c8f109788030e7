// Builds UpstreamConversation::Settings from a listener's SessionServices.
#include "bridge/session/upstream_settings.h"

namespace mb::session {

UpstreamConversation::Settings upstream_settings(const SessionServices& services) {
    const auto& server = *services.server;
    UpstreamConversation::Settings settings;
    settings.target.host = server.upstream.host;
    settings.target.port = server.upstream.port;
    settings.target.tls = services.upstream_tls.get();
    settings.target.proxy = services.proxy;
    settings.starttls = server.upstream_tls == config::UpstreamTls::starttls;
    settings.timeout = services.connect_timeout();
    return settings;
}

}  // namespace mb::session
