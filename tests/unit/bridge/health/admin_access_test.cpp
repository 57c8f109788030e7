// Tests for the admin_token check: only `Authorization: Bearer <token>` passes, nothing passes
// without a token, and the refusal is a 401 with WWW-Authenticate that never shows the token.
#include "bridge/health/admin_access.h"

#include <gtest/gtest.h>

namespace {

using mb::Secret;
using mb::health::AdminAccess;
using mb::protocol::http::Request;

Request with_authorization(std::string value) {
    return Request{"POST", "/auth/a", "HTTP/1.1", {{"Host", "h"}, {"Authorization", value}}};
}

TEST(AdminAccess, AcceptsOnlyTheBearerToken) {
    AdminAccess access;
    access.set_token(Secret("t0ken"));
    EXPECT_TRUE(access.configured());
    EXPECT_TRUE(access.authorizes(with_authorization("Bearer t0ken")));
    EXPECT_TRUE(access.authorizes(with_authorization("bearer t0ken")));
    for (const char* value :
         {"Bearer t0ke", "Bearer t0ken2", "Bearer ", "t0ken", "Basic t0ken", "Bearer T0KEN"})
        EXPECT_FALSE(access.authorizes(with_authorization(value))) << value;
    EXPECT_FALSE(access.authorizes(Request{"POST", "/", "HTTP/1.1", {{"Host", "h"}}}));
    EXPECT_TRUE(access.accepts("t0ken"));
    EXPECT_FALSE(access.accepts(""));
}

TEST(AdminAccess, NoTokenAllowsNothing) {
    AdminAccess access;
    EXPECT_FALSE(access.authorizes(with_authorization("Bearer ")));
    access.set_token(Secret(""));
    EXPECT_FALSE(access.configured());
    EXPECT_FALSE(access.accepts(""));
    auto refusal = access.refusal(false);
    EXPECT_EQ(refusal.status, 401);
    EXPECT_NE(refusal.body.find("admin_token is not set"), std::string::npos);
}

TEST(AdminAccess, RefusalSaysWhatToSendWithoutTheToken) {
    AdminAccess access;
    access.set_token(Secret("t0ken"));
    auto refusal = access.refusal(true);
    EXPECT_EQ(refusal.status, 401);
    ASSERT_EQ(refusal.headers.size(), 1u);
    EXPECT_EQ(refusal.headers[0].first, "WWW-Authenticate");
    EXPECT_EQ(refusal.headers[0].second.rfind("Bearer", 0), 0u);
    EXPECT_EQ(refusal.content_type, "application/json");
    EXPECT_NE(refusal.body.find("Authorization: Bearer"), std::string::npos);
    EXPECT_EQ(refusal.body.find("t0ken"), std::string::npos);
}

}  // namespace
