// Tests for DataTerminator: the CRLF.CRLF end of a DATA body found across every chunk boundary,
// dot-stuffed lines, an empty body, bytes after the terminator left for the command framer, and
// the smuggling defence (bare LF and bare CR stop the scan before the offending byte).
#include "protocol/smtp/data_terminator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mb::protocol::smtp {
namespace {

using Status = DataTerminator::Status;

struct Scan {
    Status status = Status::InBody;
    std::string body;  // the bytes reported as body, in order
};

Scan scan(const std::vector<std::string>& pieces) {
    DataTerminator terminator;
    Scan out;
    for (const std::string& piece : pieces) {
        auto outcome = terminator.scan(piece);
        EXPECT_LE(outcome.consumed, piece.size());
        out.body.append(piece.substr(0, outcome.consumed));
        out.status = outcome.status;
        if (outcome.status != Status::InBody) break;
        EXPECT_EQ(outcome.consumed, piece.size());
    }
    EXPECT_EQ(terminator.body_bytes(), out.body.size());
    return out;
}

void expect_all_splits(const std::string& input, Status status, std::size_t body_size) {
    const std::string body = input.substr(0, body_size);
    auto check = [&](const std::vector<std::string>& pieces, const std::string& how) {
        Scan result = scan(pieces);
        EXPECT_EQ(result.status, status) << how;
        EXPECT_EQ(result.body, body) << how;
    };
    check({input}, "whole");
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    check(bytes, "byte by byte");
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        check({input.substr(0, cut), input.substr(cut)}, "cut " + std::to_string(cut));
    for (std::size_t a = 1; a + 1 < input.size(); ++a)
        check({input.substr(0, a), input.substr(a, 1), input.substr(a + 1)},
              "three pieces at " + std::to_string(a));
}

TEST(SmtpDataTerminator, FindsTheTerminator) {
    const std::string body = "Subject: hi\r\n\r\nHello\r\n";
    expect_all_splits(body + ".\r\n", Status::Complete, body.size() + 3);
}

TEST(SmtpDataTerminator, LeavesFollowingCommandsUnconsumed) {
    const std::string message = "Subject: x\r\n\r\nbody\r\n.\r\n";
    expect_all_splits(message + "QUIT\r\n", Status::Complete, message.size());
}

TEST(SmtpDataTerminator, EmptyBodyRightAfterThe354) {
    expect_all_splits(".\r\nMAIL FROM:<a@b>\r\n", Status::Complete, 3);
}

TEST(SmtpDataTerminator, DotStuffedLinesAreBody) {
    const std::string message = "..\r\n...\r\n..x\r\n. \r\n.x.\r\nend\r\n.\r\n";
    expect_all_splits(message + "RSET\r\n", Status::Complete, message.size());
}

TEST(SmtpDataTerminator, DotInsideALineIsBody) {
    expect_all_splits("a.\r\nb\r\n.\r\n", Status::Complete, 10);
}

TEST(SmtpDataTerminator, IncompleteBodyNeedsMore) {
    expect_all_splits("line\r\n.", Status::InBody, 7);
    expect_all_splits("line\r\n.\r", Status::InBody, 8);
    expect_all_splits("", Status::InBody, 0);
}

TEST(SmtpDataTerminator, BareLineFeedStopsBeforeIt) {
    // The classic smuggling payloads: none of them may reach the upstream whole.
    expect_all_splits("x\n.\nMAIL FROM:<evil@x>\r\n", Status::BareLineFeed, 1);
    expect_all_splits("x\r\n.\nMAIL FROM:<evil@x>\r\n", Status::BareLineFeed, 4);
    expect_all_splits("x\n.\r\nMAIL FROM:<evil@x>\r\n", Status::BareLineFeed, 1);
    expect_all_splits("\nx", Status::BareLineFeed, 0);
    expect_all_splits("ab\r\n\n", Status::BareLineFeed, 4);
}

TEST(SmtpDataTerminator, BareCarriageReturnStopsBeforeTheNextByte) {
    expect_all_splits("x\r.\rMAIL FROM:<evil@x>\r\n", Status::BareCarriageReturn, 2);
    expect_all_splits("x\r\n.\r.\r\n", Status::BareCarriageReturn, 5);
    expect_all_splits("x\r\r\n", Status::BareCarriageReturn, 2);
}

TEST(SmtpDataTerminator, StatusIsStickyUntilReset) {
    DataTerminator terminator;
    EXPECT_EQ(terminator.scan(".\r\n").status, Status::Complete);
    auto again = terminator.scan("more\r\n.\r\n");
    EXPECT_EQ(again.status, Status::Complete);
    EXPECT_EQ(again.consumed, 0u);
    terminator.reset();
    EXPECT_EQ(terminator.body_bytes(), 0u);
    auto next = terminator.scan("more\r\n.\r\n");
    EXPECT_EQ(next.status, Status::Complete);
    EXPECT_EQ(next.consumed, 9u);
}

TEST(SmtpDataTerminator, LargeBodyWithEightBitAndNul) {
    std::string body;
    for (int i = 0; i < 2000; ++i) body += std::string("\xC3\xA9\0\x80 line .\r\n", 13);
    DataTerminator terminator;
    std::string input = body + ".\r\n";
    std::size_t taken = 0;
    for (std::size_t at = 0; at < input.size(); at += 997) {
        auto outcome = terminator.scan(std::string_view(input).substr(at, 997));
        taken += outcome.consumed;
        if (outcome.status == Status::Complete) break;
        ASSERT_EQ(outcome.status, Status::InBody);
    }
    EXPECT_EQ(taken, input.size());
    EXPECT_EQ(terminator.body_bytes(), input.size());
}

}  // namespace
}  // namespace mb::protocol::smtp
