// Tests for the SMTP reply parser and ReplyAssembler: single and multi-line replies, code
// consistency, enhanced status codes, limits and malformed lines; byte streams framed by a
// LineFramer are fed whole, one byte at a time and split at every boundary.
#include "protocol/smtp/reply_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/line_framer.h"
#include "protocol/smtp/limits.h"

namespace mb::protocol::smtp {
namespace {

TEST(SmtpReplyLine, Forms) {
    auto last = parse_reply_line("250 2.0.0 Ok");
    ASSERT_TRUE(last);
    EXPECT_EQ(last->code, 250);
    EXPECT_TRUE(last->last);
    EXPECT_EQ(last->text, "2.0.0 Ok");
    auto more = parse_reply_line("250-PIPELINING");
    ASSERT_TRUE(more);
    EXPECT_FALSE(more->last);
    EXPECT_EQ(more->text, "PIPELINING");
    auto bare = parse_reply_line("354");
    ASSERT_TRUE(bare);
    EXPECT_TRUE(bare->last);
    EXPECT_TRUE(bare->text.empty());
    EXPECT_EQ(parse_reply_line("334 ")->text, "");
}

TEST(SmtpReplyLine, Malformed) {
    for (const char* line :
         {"", "25", "2x0 Ok", "250Ok", "199 x", "600 x", "099 x", "250_x", "abc def"})
        EXPECT_FALSE(parse_reply_line(line)) << line;
}

TEST(SmtpReplyLine, EnhancedCodes) {
    EXPECT_EQ(enhanced_code_prefix("2.1.0 Ok").value_or(""), "2.1.0");
    EXPECT_EQ(enhanced_code_prefix("5.7.139 Denied").value_or(""), "5.7.139");
    EXPECT_EQ(enhanced_code_prefix("4.4.2").value_or(""), "4.4.2");
    for (const char* text :
         {"3.0.0 x", "2.0 x", "2.0.0x", "2..0 x", "2.1234.0 x", "2.0.1234", "8BITMIME", "", "Ok"})
        EXPECT_FALSE(enhanced_code_prefix(text)) << text;
}

// Frames `pieces` with a LineFramer and assembles replies; describes each as
// "code|enhanced|line1/line2" or "error:<reason>".
std::vector<std::string> assemble(const std::vector<std::string>& pieces) {
    LineFramer framer({limits::kMaxReplyLine, LineFramer::BareLf::Terminates});
    ReplyAssembler assembler;
    std::vector<std::string> out;
    for (const std::string& piece : pieces) {
        std::string_view rest = piece;
        for (;;) {
            auto framed = framer.next(rest);
            rest.remove_prefix(framed.consumed);
            if (framed.status == LineFramer::Status::NeedMore) break;
            if (framed.status != LineFramer::Status::Line) {
                out.push_back("framer-error");
                continue;
            }
            auto outcome = assembler.add_line(framed.line);
            if (outcome.status == ReplyAssembler::Status::Error) {
                out.push_back("error:" + outcome.error);
            } else if (outcome.status == ReplyAssembler::Status::Complete) {
                const Reply& reply = assembler.reply();
                std::string text = std::to_string(reply.code) + "|" + reply.enhanced + "|";
                for (std::size_t i = 0; i < reply.lines.size(); ++i)
                    text += (i ? "/" : "") + reply.lines[i];
                out.push_back(text);
            }
        }
    }
    return out;
}

void expect_all_splits(const std::string& input, const std::vector<std::string>& expected) {
    EXPECT_EQ(assemble({input}), expected) << "whole";
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    EXPECT_EQ(assemble(bytes), expected) << "byte by byte";
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        EXPECT_EQ(assemble({input.substr(0, cut), input.substr(cut)}), expected) << "cut " << cut;
}

TEST(SmtpReplyAssembler, EhloReplyAndPipelinedReplies) {
    expect_all_splits(
        "220 mx.example.com ESMTP\r\n"
        "250-mx.example.com Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
        "250 2.1.0 Ok\r\n550 5.1.1 <x@y>: Recipient address rejected\r\n354 End data with "
        "<CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 12345\r\n",
        {"220||mx.example.com ESMTP", "250||mx.example.com Hello/PIPELINING/SIZE 10240000/8BITMIME",
         "250|2.1.0|2.1.0 Ok", "550|5.1.1|5.1.1 <x@y>: Recipient address rejected",
         "354||End data with <CR><LF>.<CR><LF>", "250|2.0.0|2.0.0 Ok: queued as 12345"});
}

TEST(SmtpReplyAssembler, CodeChangeInsideReplyIsAnError) {
    expect_all_splits(
        "250-first\r\n251 second\r\n250 next\r\n",
        {"error:SMTP multi-line reply changes its code from 250 to 251", "250||next"});
}

TEST(SmtpReplyAssembler, EnhancedCodeMustMatchTheReplyClass) {
    expect_all_splits("250 5.0.0 odd\r\n535 5.7.8 Authentication credentials invalid\r\n",
                      {"250||5.0.0 odd", "535|5.7.8|5.7.8 Authentication credentials invalid"});
}

TEST(SmtpReplyAssembler, MalformedLineDropsThePartialReply) {
    expect_all_splits("250-a\r\nhello\r\n421 4.4.2 closing\r\n",
                      {"error:SMTP reply line does not start with a three-digit code",
                       "421|4.4.2|4.4.2 closing"});
}

TEST(SmtpReplyAssembler, LineCountLimit) {
    ReplyAssembler assembler;
    for (std::size_t i = 0; i < limits::kMaxReplyLines; ++i)
        ASSERT_EQ(assembler.add_line("214-help").status, ReplyAssembler::Status::NeedMore);
    auto outcome = assembler.add_line("214 end");
    EXPECT_EQ(outcome.status, ReplyAssembler::Status::Error);
    EXPECT_FALSE(assembler.in_reply());
    EXPECT_EQ(assembler.add_line("250 ok").status, ReplyAssembler::Status::Complete);
}

TEST(SmtpReplyAssembler, ByteLimit) {
    ReplyAssembler assembler;
    const std::string line = "214-" + std::string(limits::kMaxReplyLine - 10, 'x');
    std::size_t lines = 0;
    ReplyAssembler::Outcome outcome;
    do {
        outcome = assembler.add_line(line);
        ++lines;
    } while (outcome.status == ReplyAssembler::Status::NeedMore && lines < 1000);
    EXPECT_EQ(outcome.status, ReplyAssembler::Status::Error);
    EXPECT_LE((lines - 1) * (line.size() - 4), limits::kMaxReplyBytes);
}

TEST(SmtpReply, Text) {
    ReplyAssembler assembler;
    ASSERT_EQ(assembler.add_line("535-5.7.8 Username and Password not accepted.").status,
              ReplyAssembler::Status::NeedMore);
    ASSERT_EQ(assembler.add_line("535 5.7.8 Learn more at https://support.example").status,
              ReplyAssembler::Status::Complete);
    const Reply& reply = assembler.reply();
    EXPECT_EQ(reply.text(),
              "Username and Password not accepted. Learn more at https://support.example");
    EXPECT_TRUE(reply.permanent_failure());
    EXPECT_FALSE(reply.positive_completion());
    Reply intermediate{354, "", {"go ahead"}};
    EXPECT_TRUE(intermediate.positive_intermediate());
    EXPECT_TRUE((Reply{451, "", {}}).transient_failure());
}

}  // namespace
}  // namespace mb::protocol::smtp
