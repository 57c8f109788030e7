// Tests for TransactionTracker: replies paired with pipelined commands, the two-step DATA
// exchange, the message outcome, transaction state, unsolicited 421 and the queue limit.
#include "protocol/smtp/transaction_tracker.h"

#include <gtest/gtest.h>

#include "protocol/smtp/limits.h"

namespace mb::protocol::smtp {
namespace {

using Answer = TransactionTracker::Match::Answer;

TEST(SmtpTransactionTracker, PipelinedTransaction) {
    TransactionTracker tracker;
    ASSERT_TRUE(tracker.command_sent(CommandKind::Mail));
    ASSERT_TRUE(tracker.command_sent(CommandKind::Rcpt));
    ASSERT_TRUE(tracker.command_sent(CommandKind::Rcpt));
    ASSERT_TRUE(tracker.command_sent(CommandKind::Data));
    EXPECT_EQ(tracker.pending(), 4u);
    EXPECT_FALSE(tracker.can_send_command());

    auto mail = tracker.reply_received(250);
    EXPECT_EQ(mail.answer, Answer::Command);
    EXPECT_EQ(mail.command, CommandKind::Mail);
    EXPECT_TRUE(tracker.in_transaction());
    EXPECT_EQ(tracker.reply_received(250).command, CommandKind::Rcpt);
    EXPECT_EQ(tracker.reply_received(550).command, CommandKind::Rcpt);
    EXPECT_EQ(tracker.accepted_recipients(), 1u);

    auto data = tracker.reply_received(354);
    EXPECT_EQ(data.command, CommandKind::Data);
    EXPECT_TRUE(data.body_expected);
    EXPECT_TRUE(tracker.awaiting_body());
    EXPECT_FALSE(tracker.command_sent(CommandKind::Rset));

    ASSERT_TRUE(tracker.data_body_sent());
    auto outcome = tracker.reply_received(250);
    EXPECT_EQ(outcome.answer, Answer::DataBody);
    EXPECT_TRUE(outcome.message_accepted);
    EXPECT_FALSE(tracker.in_transaction());
    EXPECT_EQ(tracker.pending(), 0u);
    EXPECT_TRUE(tracker.can_send_command());
}

TEST(SmtpTransactionTracker, RejectedMessage) {
    TransactionTracker tracker;
    ASSERT_TRUE(tracker.command_sent(CommandKind::Data));
    ASSERT_TRUE(tracker.reply_received(354).body_expected);
    ASSERT_TRUE(tracker.data_body_sent());
    auto outcome = tracker.reply_received(554);
    EXPECT_EQ(outcome.answer, Answer::DataBody);
    EXPECT_FALSE(outcome.message_accepted);
}

TEST(SmtpTransactionTracker, RefusedDataExpectsNoBody) {
    TransactionTracker tracker;
    ASSERT_TRUE(tracker.command_sent(CommandKind::Data));
    EXPECT_FALSE(tracker.command_sent(CommandKind::Noop));
    auto data = tracker.reply_received(554);
    EXPECT_FALSE(data.body_expected);
    EXPECT_FALSE(tracker.awaiting_body());
    EXPECT_FALSE(tracker.data_body_sent());
    EXPECT_TRUE(tracker.command_sent(CommandKind::Rset));
}

TEST(SmtpTransactionTracker, RsetAndMailFailures) {
    TransactionTracker tracker;
    ASSERT_TRUE(tracker.command_sent(CommandKind::Mail));
    ASSERT_TRUE(tracker.command_sent(CommandKind::Rcpt));
    ASSERT_TRUE(tracker.command_sent(CommandKind::Rset));
    tracker.reply_received(451);
    EXPECT_FALSE(tracker.in_transaction());
    tracker.reply_received(503);
    EXPECT_EQ(tracker.accepted_recipients(), 0u);
    tracker.reply_received(250);
    EXPECT_FALSE(tracker.in_transaction());

    ASSERT_TRUE(tracker.command_sent(CommandKind::Mail));
    ASSERT_TRUE(tracker.command_sent(CommandKind::Rcpt));
    ASSERT_TRUE(tracker.command_sent(CommandKind::Rset));
    tracker.reply_received(250);
    tracker.reply_received(250);
    EXPECT_EQ(tracker.accepted_recipients(), 1u);
    EXPECT_EQ(tracker.reply_received(250).command, CommandKind::Rset);
    EXPECT_FALSE(tracker.in_transaction());
    EXPECT_EQ(tracker.accepted_recipients(), 0u);
}

TEST(SmtpTransactionTracker, UnsolicitedAndClosing) {
    TransactionTracker tracker;
    auto unsolicited = tracker.reply_received(421);
    EXPECT_EQ(unsolicited.answer, Answer::Unsolicited);
    EXPECT_TRUE(unsolicited.closing);
    ASSERT_TRUE(tracker.command_sent(CommandKind::Noop));
    auto closing = tracker.reply_received(421);
    EXPECT_EQ(closing.answer, Answer::Command);
    EXPECT_TRUE(closing.closing);
}

TEST(SmtpTransactionTracker, QueueLimit) {
    TransactionTracker tracker;
    for (std::size_t i = 0; i < limits::kMaxPendingReplies; ++i)
        ASSERT_TRUE(tracker.command_sent(CommandKind::Rcpt));
    EXPECT_FALSE(tracker.can_send_command());
    auto refused = tracker.command_sent(CommandKind::Rcpt);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("await a reply"), std::string::npos);
    tracker.reply_received(250);
    EXPECT_TRUE(tracker.command_sent(CommandKind::Rcpt));
}

TEST(SmtpTransactionTracker, BodyWithoutDataIsRefused) {
    TransactionTracker tracker;
    auto refused = tracker.data_body_sent();
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("354"), std::string::npos);
}

}  // namespace
}  // namespace mb::protocol::smtp
