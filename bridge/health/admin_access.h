// AdminAccess: the check of [daemon] admin_token for what only the admin may do on the health
// endpoint (start an authorization, see its codes). The token is resolved off the loop by the
// daemon and handed in; without one, nothing is allowed. Compares in constant time; never logs
// or returns the token. Owned by the daemon; read on the loop thread only.
#pragma once

#include <optional>
#include <string_view>

#include "bridge/health/http_response.h"
#include "protocol/http/http_request_parser.h"
#include "protocol/secret.h"

namespace mb::health {

class AdminAccess {
  public:
    // The resolved admin_token; nullopt or an empty Secret = none configured (nothing allowed).
    void set_token(std::optional<Secret> token);
    bool configured() const { return token_.has_value(); }

    // `presented` equals the token.
    bool accepts(std::string_view presented) const;
    // The request carries `Authorization: Bearer <token>`.
    bool authorizes(const protocol::http::Request& request) const;

    // 401 with `WWW-Authenticate: Bearer`, saying what to send (or that admin_token is unset).
    HttpResponse refusal(bool json) const;

  private:
    std::optional<Secret> token_;
};

}  // namespace mb::health
