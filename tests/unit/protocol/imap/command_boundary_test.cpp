// CommandBoundary: complete lines, partial lines, synchronizing and non-synchronizing literals
// (also {0} and literals that end in CRLF), APPEND bodies, and every split of the input.
#include "protocol/imap/command_boundary.h"

#include <gtest/gtest.h>

#include <string>

namespace mb::protocol::imap {
namespace {

bool boundary_after(std::string_view bytes) {
    CommandBoundary whole;
    whole.feed(bytes);
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
        CommandBoundary split;
        split.feed(bytes.substr(0, cut));
        split.feed(bytes.substr(cut));
        EXPECT_EQ(split.at_boundary(), whole.at_boundary()) << "split at " << cut;
    }
    CommandBoundary bytewise;
    for (char c : bytes) bytewise.feed(std::string_view(&c, 1));
    EXPECT_EQ(bytewise.at_boundary(), whole.at_boundary());
    return whole.at_boundary();
}

TEST(CommandBoundary, CompleteAndPartialLines) {
    EXPECT_TRUE(boundary_after(""));
    EXPECT_TRUE(boundary_after("a1 NOOP\r\n"));
    EXPECT_TRUE(boundary_after("a1 NOOP\r\na2 SELECT INBOX\r\n"));
    EXPECT_FALSE(boundary_after("a1 NOO"));
    EXPECT_FALSE(boundary_after("a1 NOOP\r"));
    EXPECT_TRUE(boundary_after("a1 NOOP\n"));  // bare LF ends a line for the server too
    EXPECT_TRUE(boundary_after("DONE\r\n"));
}

TEST(CommandBoundary, LiteralsAreSkippedByCount) {
    EXPECT_FALSE(boundary_after("a APPEND INBOX {10}\r\n"));
    EXPECT_FALSE(boundary_after("a APPEND INBOX {10}\r\n0123\r\n"));
    EXPECT_FALSE(boundary_after("a APPEND INBOX {10}\r\n0123456789"));  // the line goes on
    EXPECT_TRUE(boundary_after("a APPEND INBOX {10}\r\n0123456789\r\n"));
    EXPECT_TRUE(boundary_after("a APPEND INBOX (\\Seen) {4+}\r\n\r\n\r\n\r\n"));
    // Literal bytes that look like a marker are data: the line goes on after them.
    EXPECT_FALSE(boundary_after("a APPEND INBOX {5+}\r\n{9}\r\n"));
    EXPECT_TRUE(boundary_after("a APPEND INBOX {5+}\r\n{9}\r\n\r\n"));
    EXPECT_TRUE(boundary_after("a LOGIN {5}\r\nalice {3}\r\npwd\r\n"));
    EXPECT_FALSE(boundary_after("a LOGIN {0}\r\n"));
    EXPECT_TRUE(boundary_after("a LOGIN {0}\r\n {0}\r\n\r\n"));
    EXPECT_TRUE(boundary_after("a SEARCH TEXT {x}\r\n"));  // not a literal marker
    EXPECT_TRUE(boundary_after("a SEARCH TEXT }\r\n"));
    EXPECT_TRUE(boundary_after("a FETCH 1 BODY[]<0.5>\r\n"));
}

TEST(CommandBoundary, LongLinesAndHugeLiteralsStayBounded) {
    std::string line = "a SEARCH TEXT \"" + std::string(100000, 'x') + "\"";
    EXPECT_FALSE(boundary_after(line));
    EXPECT_TRUE(boundary_after(line + "\r\n"));
    CommandBoundary huge;
    huge.feed("a APPEND INBOX {99999999999999999999}\r\n");  // 20 digits: not a literal we follow
    EXPECT_TRUE(huge.at_boundary());
    CommandBoundary big;
    big.feed("a APPEND INBOX {9999999999999999999}\r\n");
    big.feed(std::string(1 << 20, 'y'));
    EXPECT_FALSE(big.at_boundary());
}

}  // namespace
}  // namespace mb::protocol::imap
