// TransactionTracker: pairs the replies of an upstream SMTP server with the commands the session
// sent it, in order, for pipelining clients (RFC 2920). It knows the two-step DATA exchange
// (354, then the reply after the body), so the session can tell which reply is the client's
// message outcome and pass a 250 to the client only when the upstream sent it. It also follows
// the transaction state (MAIL accepted, recipients accepted). Holds a queue bounded by
// limits::kMaxPendingReplies; knows nothing of sockets or of the bytes themselves.
#pragma once

#include <cstddef>
#include <deque>

#include "protocol/result.h"
#include "protocol/smtp/command_parser.h"

namespace mb::protocol::smtp {

class TransactionTracker {
  public:
    struct Match {
        enum class Answer {
            Unsolicited,  // no command was waiting (e.g. a 421 before the server closes)
            Command,      // the reply to `command`
            DataBody      // the reply to a message body: the message's outcome
        };
        Answer answer = Answer::Unsolicited;
        CommandKind command = CommandKind::Other;  // Answer::Command only
        bool body_expected = false;     // DATA answered 354: send the body, then data_body_sent()
        bool message_accepted = false;  // DataBody answered 2xx: the upstream took the message
        bool closing = false;           // a 421: the server is closing the connection
    };

    // Records a command sent upstream. Refused when the queue is full (stop reading the client
    // until replies arrive) and while a DATA reply or a body is outstanding (nothing may follow
    // DATA before its 354 and the end of the body, RFC 2920 §3.1).
    Result<void> command_sent(CommandKind kind);

    // Records that the body's terminating CRLF.CRLF has been forwarded. Refused unless a 354 has
    // come and no body was sent since.
    Result<void> data_body_sent();

    // Takes the code of a complete upstream reply and says what it answers.
    Match reply_received(int code);

    std::size_t pending() const { return pending_.size(); }
    bool can_send_command() const;
    bool awaiting_body() const { return awaiting_body_; }
    bool in_transaction() const { return in_transaction_; }
    std::size_t accepted_recipients() const { return accepted_recipients_; }

  private:
    struct Pending {
        CommandKind kind;
        bool body;  // the reply to a message body, not to a command
    };
    std::deque<Pending> pending_;
    bool data_pending_ = false;  // a DATA command waits for its reply
    bool awaiting_body_ = false;
    bool in_transaction_ = false;
    std::size_t accepted_recipients_ = 0;
};

}  // namespace mb::protocol::smtp
