// What a token endpoint's answer (or the lack of one) means for the TokenManager: a grant, or a
// failure that is transient (retry with backoff) or permanent (report at once), with a message a
// human can act on. Pure: tested without a server.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/oauth/http_client.h"
#include "protocol/oauth/token_response.h"

namespace mb::oauth {

struct TokenFetchOutcome {
    std::optional<protocol::oauth::TokenGrant> grant;  // set on success
    bool transient = false;                            // failure worth retrying
    std::string message;                               // failure text for logs, clients, /readyz
    std::string error;  // the OAuth2 error code when the server refused (RFC 6749 5.2), else ""
    std::optional<std::chrono::seconds> retry_after;  // the server's Retry-After
};

// `endpoint` is the URL that was asked (named in every message); `grant_name` the grant requested,
// e.g. "client_credentials". Transient: connection failures, timeouts, DNS, HTTP 408/429/5xx and
// the error codes temporarily_unavailable/server_error. Everything else is permanent.
TokenFetchOutcome interpret_token_answer(const HttpResult& answer, std::string_view endpoint,
                                         std::string_view grant_name);

// The message for a transport failure (no HTTP answer) when talking to `what` at `url`, e.g.
// "token endpoint http://127.0.0.1:1/token unreachable: connection refused — check ...".
std::string transport_failure_message(const HttpResult& answer, std::string_view what,
                                      std::string_view url);

// Text from a server made safe to log and show: control characters become spaces, cut at `limit`.
std::string printable_excerpt(std::string_view text, std::size_t limit = 300);

}  // namespace mb::oauth
