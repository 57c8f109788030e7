// OpenID Connect discovery (OpenID Connect Discovery 1.0 section 4): the URL of the document for
// an issuer, and parsing of the document into the endpoints the bridge uses. Pure.
#pragma once

#include <string>
#include <string_view>

#include "protocol/result.h"

namespace mb::protocol::oauth {

struct DiscoveryDocument {
    std::string issuer;
    std::string token_endpoint;                 // required
    std::string authorization_endpoint;         // "" when the server has none
    std::string device_authorization_endpoint;  // "" when the server has none
    std::string userinfo_endpoint;              // "" when the server has none
};

// ISSUER + "/.well-known/openid-configuration"; one trailing "/" of the issuer is dropped first.
std::string discovery_url(std::string_view issuer);

// The document must be a JSON object whose "issuer" equals `expected_issuer` exactly (a different
// issuer means a misconfiguration or an attack), with a token_endpoint; every endpoint present
// must pass check_endpoint_url.
Result<DiscoveryDocument> parse_discovery(std::string_view body, std::string_view expected_issuer);

}  // namespace mb::protocol::oauth
