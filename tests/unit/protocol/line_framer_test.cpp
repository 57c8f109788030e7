// Tests for LineFramer: every input is fed whole, one byte at a time, and split at every boundary.
#include "protocol/line_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mb::protocol {
namespace {

using Status = LineFramer::Status;

// Feeds `pieces` in order and records each outcome other than NeedMore as "status:line".
std::vector<std::string> frame(LineFramer::Options options,
                               const std::vector<std::string>& pieces) {
    LineFramer framer(options);
    std::vector<std::string> out;
    for (const std::string& piece : pieces) {
        std::string_view rest = piece;
        while (!rest.empty()) {
            auto outcome = framer.next(rest);
            EXPECT_GT(outcome.consumed, 0u);
            EXPECT_LE(outcome.consumed, rest.size());
            rest.remove_prefix(outcome.consumed);
            switch (outcome.status) {
                case Status::Line:
                    EXPECT_EQ(outcome.raw.substr(0, outcome.line.size()), outcome.line);
                    out.push_back("line:" + std::string(outcome.line));
                    break;
                case Status::NeedMore:
                    EXPECT_TRUE(rest.empty());
                    break;
                case Status::LineTooLong:
                    out.push_back("too-long");
                    break;
                case Status::BareLineFeed:
                    out.push_back("bare-lf");
                    break;
            }
        }
    }
    return out;
}

// Every way of cutting `input` this suite uses: whole, bytewise, and every two-piece split.
std::vector<std::vector<std::string>> feed_patterns(const std::string& input) {
    std::vector<std::vector<std::string>> patterns{{input}};
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    patterns.push_back(bytes);
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        patterns.push_back({input.substr(0, cut), input.substr(cut)});
    return patterns;
}

void expect_lines(LineFramer::Options options, const std::string& input,
                  const std::vector<std::string>& expected) {
    for (const auto& pieces : feed_patterns(input))
        EXPECT_EQ(frame(options, pieces), expected) << "pieces: " << pieces.size();
}

TEST(LineFramer, SplitsCrlfLinesAtEveryFeedBoundary) {
    expect_lines({}, "a1 NOOP\r\nbb\r\n\r\nccc\r\n",
                 {"line:a1 NOOP", "line:bb", "line:", "line:ccc"});
}

TEST(LineFramer, KeepsNulAndBareCrInsideALine) {
    expect_lines({}, std::string("a\0b\rc\r\n", 7), {std::string("line:a\0b\rc", 10)});
}

TEST(LineFramer, BareLfEndsALineWhenTolerated) {
    expect_lines({}, "one\ntwo\r\n", {"line:one", "line:two"});
}

TEST(LineFramer, BareLfIsAnErrorWhenRejected) {
    LineFramer::Options options;
    options.bare_lf = LineFramer::BareLf::Rejected;
    expect_lines(options, "one\ntwo\r\n", {"bare-lf", "line:two"});
}

TEST(LineFramer, LineAtTheLimitPassesAndOneByteMoreFails) {
    LineFramer::Options options;
    options.max_line = 10;
    expect_lines(options, "12345678\r\nok\r\n", {"line:12345678", "line:ok"});
    expect_lines(options, "123456789\r\nok\r\n", {"too-long", "line:ok"});
}

TEST(LineFramer, OverlongLineIsReportedOnceAndSkipped) {
    LineFramer::Options options;
    options.max_line = 8;
    expect_lines(options, std::string(50, 'x') + "\r\nnext\r\n", {"too-long", "line:next"});
}

TEST(LineFramer, OverlongLineWithoutEndKeepsSkipping) {
    LineFramer::Options options;
    options.max_line = 8;
    LineFramer framer(options);
    EXPECT_EQ(framer.next(std::string(20, 'x')).status, Status::LineTooLong);
    EXPECT_FALSE(framer.at_line_start());
    auto outcome = framer.next(std::string(1000, 'y'));
    EXPECT_EQ(outcome.status, Status::NeedMore);
    EXPECT_EQ(outcome.consumed, 1000u);
    outcome = framer.next("z\r\nok\r\n");
    EXPECT_EQ(outcome.status, Status::Line);
    EXPECT_EQ(outcome.line, "ok");
    EXPECT_EQ(outcome.consumed, 7u);
}

TEST(LineFramer, NeverConsumesPastTheLineSoCallersCanCountBytes) {
    LineFramer framer;
    std::string input = "DATA {5}\r\nhello\r\n";
    auto outcome = framer.next(input);
    ASSERT_EQ(outcome.status, Status::Line);
    EXPECT_EQ(outcome.consumed, 10u);
    EXPECT_EQ(outcome.raw, "DATA {5}\r\n");
    EXPECT_TRUE(framer.at_line_start());
    EXPECT_EQ(std::string_view(input).substr(outcome.consumed, 5), "hello");
}

TEST(LineFramer, LineSpanningFeedsIsDeliveredWholeFromTheFramer) {
    LineFramer framer;
    EXPECT_EQ(framer.next("a1 LO").status, Status::NeedMore);
    EXPECT_FALSE(framer.at_line_start());
    EXPECT_EQ(framer.next("GIN x").status, Status::NeedMore);
    auto outcome = framer.next(" y\r");
    EXPECT_EQ(outcome.status, Status::NeedMore);
    outcome = framer.next("\nrest");
    ASSERT_EQ(outcome.status, Status::Line);
    EXPECT_EQ(outcome.line, "a1 LOGIN x y");
    EXPECT_EQ(outcome.raw, "a1 LOGIN x y\r\n");
    EXPECT_EQ(outcome.consumed, 1u);
}

TEST(LineFramer, EmptyInputNeedsMore) {
    LineFramer framer;
    auto outcome = framer.next({});
    EXPECT_EQ(outcome.status, Status::NeedMore);
    EXPECT_EQ(outcome.consumed, 0u);
}

TEST(LineFramer, LargeLineAcrossManyFeedsWithinTheLimit) {
    std::string line(limits::kMaxLineLength - 2, 'q');
    LineFramer framer;
    for (std::size_t i = 0; i < line.size(); i += 1000)
        EXPECT_EQ(framer.next(std::string_view(line).substr(i, 1000)).status, Status::NeedMore);
    auto outcome = framer.next("\r\n");
    ASSERT_EQ(outcome.status, Status::Line);
    EXPECT_EQ(outcome.line.size(), line.size());
    EXPECT_EQ(framer.next("x\r\n").line, "x");
}

}  // namespace
}  // namespace mb::protocol
