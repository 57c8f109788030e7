// AuthorizationPages: the health endpoint's /auth/ACCOUNT route, so an admin (in a browser,
// perhaps through an SSH tunnel) can authorize a login of a running, headless daemon.
//   GET  /auth/ACCOUNT[?login=USER]  the newest flow's state (HTML; JSON with Accept:
//                                     application/json or ?format=json), or a button to start one
//   POST /auth/ACCOUNT[?login=USER]  starts the account's flow (or shows the one under way):
//                                     303 to the GET page; 202 with the JSON state for JSON clients
// A POST whose Origin is not this server's is refused (403), so other web pages cannot start one.
#pragma once

#include <functional>
#include <memory>

#include "bridge/config/config_model.h"
#include "bridge/health/http_response.h"
#include "bridge/oauth/authorization_runner.h"
#include "protocol/http/http_request_parser.h"

namespace mb::daemon {

class AuthorizationPages {
  public:
    using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

    AuthorizationPages(ConfigSource config, oauth::AuthorizationRunner& runner)
        : config_(std::move(config)), runner_(runner) {}

    health::HttpResponse answer(const protocol::http::Request& request);

  private:
    ConfigSource config_;
    oauth::AuthorizationRunner& runner_;
};

}  // namespace mb::daemon
