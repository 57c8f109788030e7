// The interactive OAuth2 flows of `mailbridge auth`, run blocking on the command line:
// authorization code with PKCE S256 (RFC 6749 4.1, RFC 7636, loopback redirect per RFC 8252) and
// the device authorization grant (RFC 8628). They end with a token grant for the caller to store;
// every failure is a message that says what to do. Messages for the user go to FlowIo::out.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "bridge/config/config_model.h"
#include "bridge/oauth/account_endpoints.h"
#include "bridge/oauth/http_client.h"
#include "protocol/oauth/token_response.h"
#include "protocol/result.h"

namespace mb::oauth {

struct InteractiveClient {
    const config::AccountSettings* account = nullptr;
    std::string login;     // the local login being authorized (the token store's key)
    std::string identity;  // whom the token is for upstream (upstream_user, else login): the
                           // login_hint, and what the provider's identity claims must name
    Secret client_secret;  // empty for public clients
    std::optional<HttpProxy> proxy;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{30'000};
};

// What the user must do, once the flow knows it: open `url` (the authorization URL; for the
// device flow the verification URI) and, for the device flow, enter `user_code`.
struct FlowPrompt {
    std::string url;
    std::string user_code;     // device flow only
    std::string complete_url;  // device flow: verification_uri_complete, when the server sent one
};

struct FlowIo {
    std::ostream* out = nullptr;  // instructions for a terminal (null: none)
    // Told the prompt as soon as it is known (e.g. for a web page showing it).
    std::function<void(const FlowPrompt&)> prompt;
    // Polled while waiting; true ends the flow with an error (e.g. the daemon is stopping).
    std::function<bool()> cancelled;
    // Tries to open a URL in a browser (null: only print it).
    std::function<void(const std::string& url)> open_browser;
    std::chrono::milliseconds redirect_timeout{5 * 60 * 1000};
    // Waits between device-flow polls (tests shorten it).
    std::function<void(std::chrono::seconds)> sleep;
};

// The account's endpoints, with OpenID discovery when they are not all configured.
Result<InteractiveEndpoints> resolve_interactive_endpoints(const InteractiveClient& client);

// `count` bytes from OpenSSL's RAND_bytes.
Result<std::string> random_bytes(std::size_t count);

Result<protocol::oauth::TokenGrant> run_authorization_code(const InteractiveClient& client,
                                                           const InteractiveEndpoints& endpoints,
                                                           const FlowIo& io);

Result<protocol::oauth::TokenGrant> run_device_code(const InteractiveClient& client,
                                                    const InteractiveEndpoints& endpoints,
                                                    const FlowIo& io);

}  // namespace mb::oauth
