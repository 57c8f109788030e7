// The authorization request of the authorization code flow (RFC 6749 4.1.1 with PKCE, RFC 7636)
// and the redirect that answers it (4.1.2, 4.1.2.1): building the URL the user opens, and taking
// the code out of the redirect's query after checking `state`. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::protocol::oauth {

struct AuthorizationRequest {
    std::string endpoint;  // authorization_endpoint (may already carry a query)
    std::string client_id;
    std::string redirect_uri;
    std::vector<std::string> scopes;
    std::string state;
    std::string code_challenge;  // S256
    std::string login_hint;      // "" = none
};

// ENDPOINT?response_type=code&client_id=…&redirect_uri=…&scope=…&state=…&code_challenge=…
// &code_challenge_method=S256&prompt=consent[&login_hint=…]. prompt=consent makes providers
// issue a refresh token again on a repeated authorization.
std::string authorization_url(const AuthorizationRequest& request);

// Decodes one application/x-www-form-urlencoded component ('+' is a space). Fails on a broken
// percent escape.
Result<std::string> percent_decode(std::string_view text);

// The value of `name` in a query string ("a=1&b=2"), nullopt when absent.
Result<std::optional<std::string>> query_value(std::string_view query, std::string_view name);

// Whether the redirect's query carries `state=expected_state`: only such a redirect answers this
// request (any other may be stray or forged, and must not end the flow).
bool redirect_is_for(std::string_view query, std::string_view expected_state);

// The code from the redirect's query. Errors: a missing or different state (possible forgery;
// checked first, so a forged `error` answer is reported as such), an `error` answer (its code
// and description), a missing code.
Result<Secret> code_from_redirect(std::string_view query, std::string_view expected_state);

}  // namespace mb::protocol::oauth
