// Names and client-facing codes of UpstreamFailure.
#include "bridge/session/upstream_failure.h"

namespace mb::session {

std::string_view to_string(UpstreamFailure failure) {
    switch (failure) {
        case UpstreamFailure::connect:
            return "connect";
        case UpstreamFailure::timeout:
            return "timeout";
        case UpstreamFailure::tls:
            return "tls";
        case UpstreamFailure::starttls_missing:
            return "starttls_missing";
        case UpstreamFailure::protocol:
            return "protocol";
        case UpstreamFailure::auth_rejected:
            return "auth_rejected";
        case UpstreamFailure::token_unavailable:
            return "token_unavailable";
        case UpstreamFailure::proxy:
            return "proxy";
        case UpstreamFailure::proxy_auth:
            return "proxy_auth";
        case UpstreamFailure::proxy_refused:
            return "proxy_refused";
    }
    return "unknown";
}

UpstreamFailure upstream_failure_of(net::DialFailure failure) {
    switch (failure) {
        case net::DialFailure::connect:
            return UpstreamFailure::connect;
        case net::DialFailure::timeout:
            return UpstreamFailure::timeout;
        case net::DialFailure::tls:
            return UpstreamFailure::tls;
        case net::DialFailure::proxy:
            return UpstreamFailure::proxy;
        case net::DialFailure::proxy_auth:
            return UpstreamFailure::proxy_auth;
        case net::DialFailure::proxy_refused:
            return UpstreamFailure::proxy_refused;
    }
    return UpstreamFailure::connect;
}

bool is_proxy_failure(UpstreamFailure failure) {
    return failure == UpstreamFailure::proxy || failure == UpstreamFailure::proxy_auth ||
           failure == UpstreamFailure::proxy_refused;
}

std::string_view imap_response_code(UpstreamFailure failure) {
    return failure == UpstreamFailure::auth_rejected ? "AUTHENTICATIONFAILED" : "UNAVAILABLE";
}

}  // namespace mb::session
