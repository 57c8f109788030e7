// The upstream connection settings of a listener's sessions, whatever the protocol: host, port,
// TLS mode and context, proxy, connect_timeout. One place, so IMAP, POP3 and SMTP dial alike.
#pragma once

#include "bridge/session/session_services.h"
#include "bridge/session/upstream_conversation.h"

namespace mb::session {

UpstreamConversation::Settings upstream_settings(const SessionServices& services);

}  // namespace mb::session
