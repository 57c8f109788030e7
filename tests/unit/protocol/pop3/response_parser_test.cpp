// Tests for the upstream POP3 response parser: status lines with and without codes, SASL
// continuations, and CAPA lists (mechanisms, flags, dot-stuffing, malformed and oversized).
#include "protocol/pop3/response_parser.h"

#include <gtest/gtest.h>

#include "protocol/pop3/limits.h"

namespace mb::protocol::pop3 {
namespace {

using Kind = StatusLine::Kind;

TEST(Pop3StatusLine, Forms) {
    auto ok = parse_status_line("+OK Dovecot ready.\r\n");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->kind, Kind::Ok);
    EXPECT_EQ(ok->text, "Dovecot ready.");
    EXPECT_TRUE(ok->code.empty());

    auto err = parse_status_line("-ERR [SYS/TEMP] Temporary authentication failure");
    ASSERT_TRUE(err);
    EXPECT_EQ(err->kind, Kind::Err);
    EXPECT_EQ(err->code, "SYS/TEMP");
    EXPECT_EQ(err->text, "Temporary authentication failure");

    auto bare = parse_status_line("-ERR");
    ASSERT_TRUE(bare);
    EXPECT_TRUE(bare->text.empty());
    EXPECT_EQ(parse_status_line("-ERR [AUTH]")->code, "AUTH");
    EXPECT_EQ(parse_status_line("-ERR [unclosed text")->text, "[unclosed text");

    auto continuation = parse_status_line("+ eyJzdGF0dXMiOiI0MDAifQ==\r\n");
    ASSERT_TRUE(continuation);
    EXPECT_EQ(continuation->kind, Kind::Continuation);
    EXPECT_EQ(continuation->text, "eyJzdGF0dXMiOiI0MDAifQ==");
    EXPECT_EQ(parse_status_line("+")->kind, Kind::Continuation);
    EXPECT_EQ(parse_status_line("+ \n")->text, "");
}

TEST(Pop3StatusLine, Malformed) {
    for (const char* line : {"", "OK", "+OKAY", "-ERROR x", "+x", "* OK", "-", "+ok"})
        EXPECT_FALSE(parse_status_line(line)) << line;
}

TEST(Pop3Capa, Parses) {
    auto caps = parse_capa_response(
        "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\n"
        "STLS\r\nUSER\r\nSASL PLAIN  xoauth2 OAUTHBEARER\r\n..ODD\r\n.\r\n");
    ASSERT_TRUE(caps) << caps.error().message;
    EXPECT_TRUE(caps->top && caps->uidl && caps->resp_codes && caps->pipelining &&
                caps->auth_resp_code && caps->stls && caps->user);
    EXPECT_EQ(caps->sasl_mechanisms, (std::vector<std::string>{"PLAIN", "XOAUTH2", "OAUTHBEARER"}));
    EXPECT_TRUE(caps->has_sasl("OAuthBearer"));
    EXPECT_FALSE(caps->has_sasl("LOGIN"));
    EXPECT_EQ(caps->lines.back(), ".ODD");
    EXPECT_EQ(caps->lines.size(), 10u);
}

TEST(Pop3Capa, BareLineFeedsAndEmptyList) {
    auto caps = parse_capa_response("+OK list\nSTLS\n.\n");
    ASSERT_TRUE(caps);
    EXPECT_TRUE(caps->stls);
    EXPECT_FALSE(caps->top);
    auto empty = parse_capa_response("+OK\r\n.\r\n");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->lines.empty());
}

TEST(Pop3Capa, Refusals) {
    EXPECT_FALSE(parse_capa_response("-ERR unknown command\r\n"));
    EXPECT_FALSE(parse_capa_response("+OK\r\nTOP\r\n"));
    EXPECT_FALSE(parse_capa_response("+OK\r\nTOP"));
    EXPECT_FALSE(parse_capa_response("garbage"));
    EXPECT_FALSE(parse_capa_response("+OK\r\n.\r\nextra\r\n"));
    std::string many = "+OK\r\n";
    for (std::size_t i = 0; i <= limits::kMaxCapabilities; ++i) many += "X\r\n";
    EXPECT_FALSE(parse_capa_response(many + ".\r\n"));
    EXPECT_FALSE(
        parse_capa_response("+OK\r\n" + std::string(limits::kMaxCapaResponse, 'x') + "\r\n.\r\n"));
}

}  // namespace
}  // namespace mb::protocol::pop3
