// Where an account's tokens come from: the token endpoint (explicit, a provider preset, or OpenID
// discovery from the issuer) and the scopes to ask for. Maps the config enums onto the pure
// presets in protocol/oauth; pure itself, so every provider/cloud/flow combination is unit-tested.
#pragma once

#include <string>
#include <vector>

#include "bridge/config/config_model.h"
#include "protocol/oauth/discovery.h"
#include "protocol/result.h"

namespace mb::oauth {

struct EndpointPlan {
    std::string token_endpoint;  // known now; "" when discovery must find it
    std::string discovery_url;   // set when token_endpoint is ""
    std::string issuer;          // the issuer the discovery document must name
};

// An explicit token_endpoint always wins (any provider); otherwise microsoft/google presets, or
// discovery for generic accounts with an issuer. Errors say which key to set.
Result<EndpointPlan> plan_token_endpoint(const config::AccountSettings& account);

// The account's scopes, or the provider's defaults for its flow (all three mail protocols for
// per-login tokens, since one token serves IMAP, POP3 and SMTP).
std::vector<std::string> scopes_for(const config::AccountSettings& account);

// "client_credentials", "authorization_code", "device_code".
const char* flow_name(config::Flow flow);

// The endpoints of the interactive flows (`mailbridge auth`). Explicit keys win, then the
// microsoft/google presets; a generic account without explicit endpoints names a discovery URL
// and the caller fills the rest from the document (complete_from_discovery).
struct InteractiveEndpoints {
    std::string authorization;
    std::string device_authorization;
    std::string token;
    std::string discovery_url;  // set when discovery must fill the empty endpoints
    std::string issuer;
    std::string userinfo;  // from discovery only; "" = none (identity checks use the id_token)
};
Result<InteractiveEndpoints> plan_interactive_endpoints(const config::AccountSettings& account);
// Fills the empty endpoints from a parsed discovery document.
void complete_from_discovery(InteractiveEndpoints& endpoints,
                             const protocol::oauth::DiscoveryDocument& document);
// What `flow` needs is present and passes check_endpoint_url.
Result<void> check_interactive_endpoints(const config::AccountSettings& account,
                                         const InteractiveEndpoints& endpoints);

}  // namespace mb::oauth
