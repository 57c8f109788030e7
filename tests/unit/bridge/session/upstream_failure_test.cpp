// Every UpstreamFailure has a name and the IMAP response code the client is told.
#include "bridge/session/upstream_failure.h"

#include <gtest/gtest.h>

namespace {

using mb::session::UpstreamFailure;

TEST(UpstreamFailure, EachFailureMapsToItsImapCode) {
    struct Row {
        UpstreamFailure failure;
        const char* name;
        const char* imap_code;
    };
    for (const Row& row :
         {Row{UpstreamFailure::connect, "connect", "UNAVAILABLE"},
          Row{UpstreamFailure::proxy, "proxy", "UNAVAILABLE"},
          Row{UpstreamFailure::proxy_auth, "proxy_auth", "UNAVAILABLE"},
          Row{UpstreamFailure::proxy_refused, "proxy_refused", "UNAVAILABLE"},
          Row{UpstreamFailure::timeout, "timeout", "UNAVAILABLE"},
          Row{UpstreamFailure::tls, "tls", "UNAVAILABLE"},
          Row{UpstreamFailure::starttls_missing, "starttls_missing", "UNAVAILABLE"},
          Row{UpstreamFailure::protocol, "protocol", "UNAVAILABLE"},
          Row{UpstreamFailure::auth_rejected, "auth_rejected", "AUTHENTICATIONFAILED"},
          Row{UpstreamFailure::token_unavailable, "token_unavailable", "UNAVAILABLE"}}) {
        EXPECT_EQ(mb::session::to_string(row.failure), row.name);
        EXPECT_EQ(mb::session::imap_response_code(row.failure), row.imap_code);
    }
}

TEST(UpstreamFailure, EachDialFailureMapsToItsKindAndTheProxyKindsAreTheProxys) {
    using mb::net::DialFailure;
    using mb::session::is_proxy_failure;
    using mb::session::upstream_failure_of;
    EXPECT_EQ(upstream_failure_of(DialFailure::connect), UpstreamFailure::connect);
    EXPECT_EQ(upstream_failure_of(DialFailure::timeout), UpstreamFailure::timeout);
    EXPECT_EQ(upstream_failure_of(DialFailure::tls), UpstreamFailure::tls);
    EXPECT_EQ(upstream_failure_of(DialFailure::proxy), UpstreamFailure::proxy);
    EXPECT_EQ(upstream_failure_of(DialFailure::proxy_auth), UpstreamFailure::proxy_auth);
    EXPECT_EQ(upstream_failure_of(DialFailure::proxy_refused), UpstreamFailure::proxy_refused);
    for (auto failure :
         {UpstreamFailure::proxy, UpstreamFailure::proxy_auth, UpstreamFailure::proxy_refused})
        EXPECT_TRUE(is_proxy_failure(failure)) << mb::session::to_string(failure);
    for (auto failure : {UpstreamFailure::connect, UpstreamFailure::timeout, UpstreamFailure::tls,
                         UpstreamFailure::auth_rejected, UpstreamFailure::protocol})
        EXPECT_FALSE(is_proxy_failure(failure)) << mb::session::to_string(failure);
}

}  // namespace
