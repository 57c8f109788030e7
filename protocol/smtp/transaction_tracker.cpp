// TransactionTracker: a FIFO of outstanding replies plus the DATA and transaction state.
#include "protocol/smtp/transaction_tracker.h"

#include "protocol/smtp/limits.h"

namespace mb::protocol::smtp {

bool TransactionTracker::can_send_command() const {
    return pending_.size() < limits::kMaxPendingReplies && !data_pending_ && !awaiting_body_;
}

Result<void> TransactionTracker::command_sent(CommandKind kind) {
    if (data_pending_ || awaiting_body_)
        return make_error(
            "SMTP command sent while DATA is in progress; wait for the 354 and "
            "send the message body first");
    if (pending_.size() >= limits::kMaxPendingReplies)
        return make_error("too many SMTP commands await a reply; read replies before sending more");
    pending_.push_back({kind, false});
    if (kind == CommandKind::Data) data_pending_ = true;
    return {};
}

Result<void> TransactionTracker::data_body_sent() {
    if (!awaiting_body_) return make_error("SMTP message body ended without a 354 reply to DATA");
    awaiting_body_ = false;
    pending_.push_back({CommandKind::Data, true});
    return {};
}

TransactionTracker::Match TransactionTracker::reply_received(int code) {
    Match match;
    match.closing = code == 421;
    if (pending_.empty()) return match;
    const Pending answered = pending_.front();
    pending_.pop_front();
    const bool positive = code >= 200 && code < 300;
    if (answered.body) {
        match.answer = Match::Answer::DataBody;
        match.command = CommandKind::Data;
        match.message_accepted = positive;
        in_transaction_ = false;
        accepted_recipients_ = 0;
        return match;
    }
    match.answer = Match::Answer::Command;
    match.command = answered.kind;
    switch (answered.kind) {
        case CommandKind::Data:
            data_pending_ = false;
            awaiting_body_ = code == 354;
            match.body_expected = awaiting_body_;
            break;
        case CommandKind::Mail:
            if (positive) {
                in_transaction_ = true;
                accepted_recipients_ = 0;
            }
            break;
        case CommandKind::Rcpt:
            if (positive && in_transaction_) ++accepted_recipients_;
            break;
        case CommandKind::Rset:
        case CommandKind::Ehlo:
        case CommandKind::Helo:
            if (positive) {
                in_transaction_ = false;
                accepted_recipients_ = 0;
            }
            break;
        default:
            break;
    }
    return match;
}

}  // namespace mb::protocol::smtp
