// Tests for ImapCommandTracker: commands queued in order with their kinds, mailbox names read in
// every form (fed whole and split at every boundary through StreamFramer), replies taking commands
// out by tag, a command whose literal was abandoned, and the bounds.
#include "bridge/session/imap_command_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/limits.h"

namespace mb::session {
namespace {
namespace imap = protocol::imap;
using Kind = ImapCommandTracker::Kind;
using Step = ImapCommandTracker::Step;

struct Fed {
    std::vector<Step> steps;
    std::string failure;
};

Fed feed(ImapCommandTracker& tracker, imap::StreamFramer& framer, std::string_view bytes) {
    Fed fed;
    framer.feed(bytes, [&](const imap::StreamEvent& event) {
        const Step step = tracker.on_event(event);
        if (step != Step::Nothing) fed.steps.push_back(step);
        if (step == Step::Failed) fed.failure = tracker.failure();
    });
    return fed;
}

imap::StreamFramer client_framer() {
    return imap::StreamFramer({imap::StreamFramer::Direction::ClientToServer, 1 << 20,
                               protocol::limits::kMaxRelayLiteral});
}

// Every command of `input`, read whole and split at every boundary, as "tag kind mailbox>new".
std::vector<std::string> commands(const std::string& input) {
    auto describe = [](ImapCommandTracker& tracker) {
        std::vector<std::string> out;
        while (ImapCommandTracker::Command* front = tracker.front()) {
            out.push_back(front->tag + " " + std::to_string(static_cast<int>(front->kind)) +
                          (front->complete ? "" : " partial") +
                          (front->mailbox ? " " + *front->mailbox : "") +
                          (front->new_name.empty() ? "" : ">" + front->new_name));
            tracker.take(std::string(front->tag));
        }
        return out;
    };
    ImapCommandTracker whole({});
    auto framer = client_framer();
    feed(whole, framer, input);
    const std::vector<std::string> expected = describe(whole);
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        ImapCommandTracker split({});
        auto split_framer = client_framer();
        feed(split, split_framer, input.substr(0, cut));
        feed(split, split_framer, input.substr(cut));
        EXPECT_EQ(describe(split), expected) << "split at " << cut;
    }
    return expected;
}

TEST(ImapCommandTracker, QueuesCommandsWithTheirKindsAndMailboxes) {
    const std::string input =
        "a1 SELECT \"Sent Items\"\r\n"
        "a2 EXAMINE {5}\r\nDraft (CONDSTORE)\r\n"
        "a3 RENAME old {3+}\r\nnew\r\n"
        "a4 DELETE x\r\n"
        "a5 CLOSE\r\na6 UNSELECT\r\na7 UID STORE 1 +FLAGS (\\Deleted)\r\na8 NOOP\r\n"
        "a9 UID CLOSE\r\n";
    const auto expected = std::vector<std::string>{
        "a1 " + std::to_string(static_cast<int>(Kind::Select)) + " Sent Items",
        "a2 " + std::to_string(static_cast<int>(Kind::Examine)) + " Draft",
        "a3 " + std::to_string(static_cast<int>(Kind::Rename)) + " old>new",
        "a4 " + std::to_string(static_cast<int>(Kind::Delete)) + " x",
        "a5 " + std::to_string(static_cast<int>(Kind::Close)),
        "a6 " + std::to_string(static_cast<int>(Kind::Unselect)),
        "a7 " + std::to_string(static_cast<int>(Kind::Store)),
        "a8 " + std::to_string(static_cast<int>(Kind::Other)),
        "a9 " + std::to_string(static_cast<int>(Kind::Other)),
    };
    EXPECT_EQ(commands(input), expected);
}

TEST(ImapCommandTracker, UnreadableNamesAndPartialCommands) {
    const std::string select = std::to_string(static_cast<int>(Kind::Select));
    EXPECT_EQ(commands("b1 SELECT \"open\r\nb2 SELECT {5}\r\nIN"),
              (std::vector<std::string>{"b1 " + select, "b2 " + select + " partial"}));
    EXPECT_EQ(commands("garbage\r\n* x\r\n"), std::vector<std::string>{});
}

TEST(ImapCommandTracker, CompletesEachCommandOnceAndTakesByTag) {
    ImapCommandTracker tracker({});
    auto framer = client_framer();
    Fed fed = feed(tracker, framer, "t1 NOOP\r\nt2 SELECT a\r\nt3 APPEND x {2+}\r\nab");
    EXPECT_EQ(fed.steps, (std::vector<Step>{Step::Completed, Step::Completed}));
    EXPECT_EQ(tracker.outstanding(), 3u);
    EXPECT_FALSE(tracker.take("zz"));
    auto taken = tracker.take("t2");
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->mailbox, "a");
    EXPECT_EQ(tracker.front()->tag, "t1");
    EXPECT_EQ(feed(tracker, framer, "\r\n").steps, std::vector<Step>{Step::Completed});
    tracker.clear();
    EXPECT_EQ(tracker.front(), nullptr);
}

TEST(ImapCommandTracker, AnAbandonedLiteralLeavesTheNameUnread) {
    ImapCommandTracker tracker({});
    auto framer = client_framer();
    feed(tracker, framer, "c1 SELECT {5}\r\n");
    ASSERT_TRUE(framer.awaiting_sync_literal());
    framer.abandon_literal();  // as ImapCommandFilter does when the server refuses it
    feed(tracker, framer, "c2 SELECT b\r\n");
    auto first = tracker.take("c1");
    ASSERT_TRUE(first);
    EXPECT_FALSE(first->complete);
    EXPECT_EQ(tracker.take("c2")->mailbox, "b");
}

TEST(ImapCommandTracker, Bounds) {
    ImapCommandTracker few({.max_outstanding = 2, .max_command = 64});
    auto framer = client_framer();
    EXPECT_TRUE(feed(few, framer, "1 NOOP\r\n2 NOOP\r\n").failure.empty());
    Fed fed = feed(few, framer, "3 NOOP\r\n");
    EXPECT_EQ(fed.steps.front(), Step::Failed);
    EXPECT_EQ(fed.failure, "more than 2 commands await a reply");
    few.clear();
    // A mailbox command longer than max_command is followed, its name is not read.
    feed(few, framer, "4 SELECT " + std::string(100, 'x') + "\r\n");
    EXPECT_FALSE(few.take("4")->mailbox);
    ImapCommandTracker tracker({});
    auto strict = imap::StreamFramer({imap::StreamFramer::Direction::ClientToServer, 16, 10});
    fed = feed(tracker, strict, "5 NOOP " + std::string(40, 'y') + "\r\n");
    EXPECT_EQ(fed.steps, std::vector<Step>{Step::Failed});
    EXPECT_EQ(fed.failure.rfind("the client stream cannot be framed: ", 0), 0u);
}

}  // namespace
}  // namespace mb::session
