// Tests for choosing and rendering IMAP string forms, checked against the command parser.
#include "protocol/imap/string_quoting.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/imap/command_parser.h"

namespace mb::protocol::imap {
namespace {

TEST(ImapStringQuoting, ChoosesThePlainestForm) {
    EXPECT_EQ(choose_string_form("alice@example.com", true), StringForm::Atom);
    EXPECT_EQ(choose_string_form("alice@example.com", false), StringForm::Quoted);
    EXPECT_EQ(choose_string_form("nil", true), StringForm::Quoted);
    EXPECT_EQ(choose_string_form("", true), StringForm::Quoted);
    EXPECT_EQ(choose_string_form("two words", true), StringForm::Quoted);
    EXPECT_EQ(choose_string_form("a\"b\\c", true), StringForm::Quoted);
    EXPECT_EQ(choose_string_form("a%b", true), StringForm::Quoted);
    EXPECT_EQ(choose_string_form("j\xc3\xb6rg", true), StringForm::Literal);
    EXPECT_EQ(choose_string_form("a\r\nb", true), StringForm::Literal);
    EXPECT_EQ(choose_string_form(std::string(1, '\0'), true), StringForm::Literal);
    EXPECT_EQ(choose_string_form(std::string(1025, 'x'), false), StringForm::Literal);
}

TEST(ImapStringQuoting, Renders) {
    EXPECT_EQ(quoted_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(literal_string("abc", false), "{3}\r\nabc");
    EXPECT_EQ(literal_string("abc", true), "{3+}\r\nabc");
    EXPECT_EQ(encode_string("user", true, true), "user");
    EXPECT_EQ(encode_string("NIL", true, true), "\"NIL\"");
    EXPECT_EQ(encode_string("x\ny", true, true), "{3+}\r\nx\ny");
}

TEST(ImapStringQuoting, RenderedStringsParseBackUnchanged) {
    for (std::string value :
         std::vector<std::string>{"alice", "NIL", "", "a b", "q\"uo\\te", "j\xc3\xb6rg", "x\r\ny",
                                  "(){}%*]", std::string(2000, 'z')}) {
        const std::string command = "a1 LOGIN " + encode_string(value, true, true) + " " +
                                    encode_string(value, false, false) + "\r\n";
        auto result = parse_command(command);
        ASSERT_TRUE(std::holds_alternative<Command>(result)) << value;
        const auto& login = std::get<LoginArguments>(std::get<Command>(result).arguments);
        EXPECT_EQ(login.user, value);
        EXPECT_EQ(login.password.reveal(), value);
    }
}

}  // namespace
}  // namespace mb::protocol::imap
