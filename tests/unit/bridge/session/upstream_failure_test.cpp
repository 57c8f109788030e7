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

}  // namespace
