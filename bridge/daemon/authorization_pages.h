// AuthorizationPages: the health endpoint's /auth/ACCOUNT route, so an admin (in a browser,
// perhaps through an SSH tunnel) can authorize a login of a running, headless daemon.
//   GET  /auth/ACCOUNT[?login=USER]  the newest flow's state (HTML; JSON with Accept:
//                                     application/json or ?format=json), or a button to start one
//   POST /auth/ACCOUNT[?login=USER]  starts the account's flow (or shows the one under way):
//                                     303 to the GET page; 202 with the JSON state for JSON clients
// A POST needs the admin token (`Authorization: Bearer <[daemon] admin_token>`, else 401) and,
// when it has an Origin, one of the endpoint's own addresses (else 403). The prompt (the sign-in
// URL, which carries the request's state, and the device user_code) is shown only to a request
// that carries the admin token; others see the phase and outcome. Too many flows under way → 429.
// Every answer forbids framing (CSP frame-ancestors 'none', X-Frame-Options: DENY).
#pragma once

#include <functional>
#include <memory>

#include "bridge/config/config_model.h"
#include "bridge/health/admin_access.h"
#include "bridge/health/allowed_hosts.h"
#include "bridge/health/http_response.h"
#include "bridge/oauth/authorization_runner.h"
#include "protocol/http/http_request_parser.h"

namespace mb::daemon {

class AuthorizationPages {
  public:
    using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

    // `admin` must outlive the pages.
    AuthorizationPages(ConfigSource config, oauth::AuthorizationRunner& runner,
                       const health::AdminAccess& admin)
        : config_(std::move(config)), runner_(runner), admin_(admin) {}

    // `hosts`: the health endpoint's own addresses, for the Origin check.
    health::HttpResponse answer(const protocol::http::Request& request,
                                const health::AllowedHosts& hosts);

  private:
    health::HttpResponse answer_unframed(const protocol::http::Request& request,
                                         const health::AllowedHosts& hosts);

    ConfigSource config_;
    oauth::AuthorizationRunner& runner_;
    const health::AdminAccess& admin_;
};

}  // namespace mb::daemon
