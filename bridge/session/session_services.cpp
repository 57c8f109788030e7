// SessionServices' accessors that read the configuration (out of line, so that the header needs
// only a declaration of config::Config).
#include "bridge/session/session_services.h"

#include "bridge/config/config_model.h"

namespace mb::session {

std::chrono::milliseconds SessionServices::connect_timeout() const {
    return std::chrono::seconds(config->daemon.connect_timeout);
}

std::chrono::seconds SessionServices::idle_timeout() const {
    return std::chrono::seconds(config->daemon.idle_timeout);
}

std::chrono::seconds SessionServices::prelogin_timeout() const {
    return std::chrono::seconds(config->daemon.prelogin_timeout);
}

}  // namespace mb::session
