// Interpretation of token endpoint answers (see token_endpoint_answer.h).
#include "bridge/oauth/token_endpoint_answer.h"

namespace mb::oauth {
namespace {

using protocol::oauth::TokenErrorReply;
using protocol::oauth::TokenGrant;

std::string describe(const TokenErrorReply& reply) {
    std::string text = printable_excerpt(reply.error, 100);
    if (!reply.description.empty()) text += " (" + printable_excerpt(reply.description) + ")";
    return text;
}

std::string refusal_message(const TokenErrorReply& reply, std::string_view grant_name) {
    const std::string what = describe(reply);
    const std::string grant(grant_name);
    if (reply.error == "invalid_client")
        return "token endpoint refused the client credentials: " + what +
               " — check client_id and client_secret";
    if (reply.error == "unauthorized_client")
        return "token endpoint does not allow this client the " + grant + " grant: " + what +
               " — allow the grant in the client's registration";
    if (reply.error == "unsupported_grant_type")
        return "token endpoint does not support the " + grant + " grant: " + what +
               " — choose another flow for this account";
    if (reply.error == "invalid_scope")
        return "token endpoint refused the requested scopes: " + what + " — check scopes";
    if (reply.error == "invalid_grant")
        return "token endpoint refused the " + grant + " grant: " + what +
               " — the authorization is no longer valid; authorize again";
    return "token endpoint refused the request: " + what;
}

bool transient_status(long status) {
    return status == 408 || status == 429 || status >= 500;
}

}  // namespace

std::string printable_excerpt(std::string_view text, std::size_t limit) {
    std::string out;
    for (unsigned char c : text.substr(0, limit))
        out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    if (text.size() > limit) out += "…";
    return out;
}

std::string transport_failure_message(const HttpResult& answer, std::string_view what,
                                      std::string_view url) {
    const std::string target = std::string(what) + " " + std::string(url);
    switch (answer.failure) {
        case HttpFailure::resolve:
        case HttpFailure::connect:
            return target + " unreachable: " + answer.detail + " — check " +
                   std::string(what == "token endpoint" ? "token_endpoint" : "issuer") +
                   " and the network";
        case HttpFailure::timeout:
            return target + " did not answer in time: " + answer.detail +
                   " — check the network and the proxy, or raise connect_timeout";
        case HttpFailure::tls:
            return "TLS to " + target + " failed: " + answer.detail +
                   " — check the server certificate and the system trust store";
        case HttpFailure::proxy:
            return "proxy failed for " + target + ": " + answer.detail +
                   " — check the [[proxy]] url, auth, username and password";
        case HttpFailure::too_large:
            return target + " sent an answer too large for a token: " + answer.detail +
                   " — check that the URL names an OAuth2 endpoint";
        case HttpFailure::other:
        case HttpFailure::none:
            break;
    }
    return "request to " + target + " failed: " + answer.detail;
}

TokenFetchOutcome interpret_token_answer(const HttpResult& answer, std::string_view endpoint,
                                         std::string_view grant_name) {
    TokenFetchOutcome outcome;
    outcome.retry_after = answer.retry_after;
    if (!answer.ok()) {
        outcome.transient =
            answer.failure == HttpFailure::resolve || answer.failure == HttpFailure::connect ||
            answer.failure == HttpFailure::timeout || answer.failure == HttpFailure::proxy;
        outcome.message = transport_failure_message(answer, "token endpoint", endpoint);
        return outcome;
    }
    const std::string where = "token endpoint " + std::string(endpoint);
    auto parsed = protocol::oauth::parse_token_response(answer.body);
    if (parsed && std::holds_alternative<TokenErrorReply>(*parsed)) {
        const auto& reply = std::get<TokenErrorReply>(*parsed);
        outcome.error = reply.error;
        outcome.transient = transient_status(answer.status) ||
                            reply.error == "temporarily_unavailable" ||
                            reply.error == "server_error";
        outcome.message = outcome.transient
                              ? where + " is temporarily unavailable: HTTP " +
                                    std::to_string(answer.status) + ", " + describe(reply)
                              : refusal_message(reply, grant_name);
        return outcome;
    }
    if (transient_status(answer.status)) {
        outcome.transient = true;
        outcome.message = where + " answered HTTP " + std::to_string(answer.status) +
                          " — the identity provider has trouble";
        return outcome;
    }
    if (answer.status != 200) {
        outcome.message = where + " answered HTTP " + std::to_string(answer.status) +
                          " without an OAuth2 error — check token_endpoint";
        return outcome;
    }
    if (!parsed) {
        outcome.message = where + " sent an unusable answer: " + parsed.error().message;
        return outcome;
    }
    outcome.grant = std::move(std::get<TokenGrant>(*parsed));
    return outcome;
}

}  // namespace mb::oauth
