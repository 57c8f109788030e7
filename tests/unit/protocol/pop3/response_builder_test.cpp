// Tests for the POP3 response builders: status lines with RFC 3206 codes, continuations, CAPA and
// mechanism lists with dot-stuffing, and line safety.
#include "protocol/pop3/response_builder.h"

#include <gtest/gtest.h>

namespace mb::protocol::pop3 {
namespace {

TEST(Pop3ResponseBuilder, StatusLines) {
    EXPECT_EQ(ok_response("mailbridge ready"), "+OK mailbridge ready\r\n");
    EXPECT_EQ(ok_response(""), "+OK\r\n");
    EXPECT_EQ(err_response(ResponseCode::Auth, "Authentication failed"),
              "-ERR [AUTH] Authentication failed\r\n");
    EXPECT_EQ(err_response(ResponseCode::SysTemp, "try later"), "-ERR [SYS/TEMP] try later\r\n");
    EXPECT_EQ(err_response(ResponseCode::SysPerm, "x"), "-ERR [SYS/PERM] x\r\n");
    EXPECT_EQ(err_response(ResponseCode::InUse, "locked"), "-ERR [IN-USE] locked\r\n");
    EXPECT_EQ(err_response(ResponseCode::None, "no"), "-ERR no\r\n");
    EXPECT_EQ(err_response(ResponseCode::None, ""), "-ERR\r\n");
    EXPECT_EQ(ok_response("a\r\n+OK b"), "+OK a  +OK b\r\n");
    EXPECT_EQ(sasl_continuation(""), "+ \r\n");
    EXPECT_EQ(sasl_continuation("VXNlcm5hbWU6"), "+ VXNlcm5hbWU6\r\n");
}

TEST(Pop3ResponseBuilder, Lists) {
    EXPECT_EQ(capa_response(pre_auth_capabilities({.stls = true})),
              "+OK Capability list follows\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\n"
              "AUTH-RESP-CODE\r\nSTLS\r\n.\r\n");
    EXPECT_EQ(pre_auth_capabilities({}).size(), 4u);
    // A STARTTLS listener before TLS offers no login: neither USER nor SASL.
    EXPECT_EQ(capa_response(pre_auth_capabilities({.stls = true, .login = false})),
              "+OK Capability list follows\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nSTLS\r\n.\r\n");
    EXPECT_EQ(auth_mechanisms_response(), "+OK\r\nPLAIN\r\n.\r\n");
    EXPECT_EQ(multiline_response("x", {".hidden", "", "a"}), "+OK x\r\n..hidden\r\n\r\na\r\n.\r\n");
}

}  // namespace
}  // namespace mb::protocol::pop3
