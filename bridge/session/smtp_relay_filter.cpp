// Command/body framing, reply pairing, local answers and the no-loss goodbyes of SmtpRelayFilter.
#include "bridge/session/smtp_relay_filter.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/smtp/ehlo_capabilities.h"
#include "protocol/smtp/limits.h"
#include "protocol/smtp/reply_builder.h"

namespace mb::session {
namespace smtp = protocol::smtp;
using smtp::CommandKind;

namespace {

constexpr std::string_view kSmugglingRefusal =
    "554 5.6.0 mailbridge: message refused: it contains a bare LF or CR (lines must end with "
    "CRLF); nothing was delivered\r\n"
    "421 4.7.0 mailbridge: closing the connection after a malformed message\r\n";

}  // namespace

SmtpRelayFilter::SmtpRelayFilter(Io io, Options options)
    : io_(std::move(io)),
      options_(std::move(options)),
      command_framer_({.max_line = smtp::limits::kMaxCommandLine,
                       .bare_lf = protocol::LineFramer::BareLf::Rejected}),
      reply_framer_({.max_line = smtp::limits::kMaxReplyLine,
                     .bare_lf = protocol::LineFramer::BareLf::Terminates}) {}

std::pair<Relay::Filter, Relay::Filter> SmtpRelayFilter::make(
    std::shared_ptr<SmtpRelayFilter> filter) {
    return {[filter](std::string_view in, RelayOutput& out) { filter->from_client(in, out); },
            [filter](std::string_view in, RelayOutput& out) { filter->from_upstream(in, out); }};
}

// ---- client → upstream
// ---------------------------------------------------------------------------

void SmtpRelayFilter::from_client(std::string_view in, std::string& out) {
    RelayOutput collected(out);
    from_client(in, collected);
}

void SmtpRelayFilter::from_upstream(std::string_view in, std::string& out) {
    RelayOutput collected(out);
    from_upstream(in, collected);
}

void SmtpRelayFilter::from_client(std::string_view in, RelayOutput& out) {
    if (aborted_) return;
    upstream_out_ = &out;
    if (held_.empty())
        consume(in);
    else
        hold(in);
    upstream_out_ = nullptr;
    out.set_held(held_.size());
}

bool SmtpRelayFilter::at_command_boundary() const {
    return !aborted_ && mode_ == Mode::command && held_.empty() && command_framer_.at_line_start();
}

bool SmtpRelayFilter::can_take_command() const {
    return tracker_.can_send_command() && expected_.size() < smtp::limits::kMaxPendingReplies;
}

void SmtpRelayFilter::hold(std::string_view in) {
    if (held_.size() + in.size() > options_.max_held) {
        abort_session(smtp::reply(
            421, "4.7.0",
            "mailbridge: too much input sent without waiting for replies; closing the connection"));
        return;
    }
    held_.append(in);
}

void SmtpRelayFilter::consume(std::string_view in) {
    while (!in.empty() && !aborted_) {
        switch (mode_) {
            case Mode::skip: {
                std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, in.size()));
                in.remove_prefix(n);
                skip_ -= n;
                if (skip_ == 0) mode_ = Mode::command;
                break;
            }
            case Mode::body: {
                auto outcome = terminator_.scan(in);
                send_upstream(in.substr(0, outcome.consumed));
                in.remove_prefix(outcome.consumed);
                if (outcome.status == smtp::DataTerminator::Status::InBody) return;
                if (outcome.status != smtp::DataTerminator::Status::Complete) {
                    spdlog::warn(
                        "smtp relay: message body with a bare {} (possible SMTP smuggling); "
                        "dropping the upstream connection before its end of data",
                        outcome.status == smtp::DataTerminator::Status::BareLineFeed ? "LF" : "CR");
                    abort_session(std::string(kSmugglingRefusal));
                    return;
                }
                (void)tracker_.data_body_sent();
                expected_.push_back({});
                mode_ = Mode::command;
                break;
            }
            case Mode::command: {
                if (!can_take_command()) {
                    hold(in);
                    return;
                }
                auto outcome = command_framer_.next(in);
                in.remove_prefix(outcome.consumed);
                switch (outcome.status) {
                    case protocol::LineFramer::Status::NeedMore:
                        return;
                    case protocol::LineFramer::Status::LineTooLong:
                        reply_locally(smtp::line_too_long_error().reply());
                        break;
                    case protocol::LineFramer::Status::BareLineFeed:
                        reply_locally(smtp::bare_line_feed_error().reply());
                        break;
                    case protocol::LineFramer::Status::Line:
                        on_command(outcome.line, outcome.raw);
                        break;
                }
                break;
            }
        }
    }
}

void SmtpRelayFilter::on_command(std::string_view line, std::string_view raw) {
    auto parsed = smtp::parse_command(line);
    CommandKind kind = CommandKind::Other;
    if (auto* error = std::get_if<smtp::CommandError>(&parsed)) {
        // A known verb with arguments the bridge's parser dislikes still goes to the upstream,
        // which has the last word on syntax; unknown, NUL-carrying or unparsable lines do not.
        if (error->kind == CommandKind::Other || error->kind == CommandKind::Bdat ||
            error->kind == CommandKind::Auth || error->kind == CommandKind::StartTls) {
            reply_locally(error->reply());
            return;
        }
        kind = error->kind;
    } else {
        kind = std::get<smtp::Command>(parsed).kind;
    }
    switch (kind) {
        case CommandKind::Bdat: {
            const auto& args =
                std::get<smtp::BdatArguments>(std::get<smtp::Command>(parsed).arguments);
            reply_locally(smtp::reply(502, "5.5.1",
                                      "mailbridge: BDAT (CHUNKING) is not offered; send the "
                                      "message with DATA"));
            skip_ = args.chunk_size;
            if (skip_ > 0) mode_ = Mode::skip;
            return;
        }
        case CommandKind::Auth:
            reply_locally(smtp::reply(503, "5.5.1", "mailbridge: already authenticated"));
            return;
        case CommandKind::StartTls:
            reply_locally(smtp::reply(503, "5.5.1",
                                      "mailbridge: STARTTLS is not possible after authentication"));
            return;
        default:
            break;
    }
    if (!tracker_.command_sent(kind)) {
        reply_locally(smtp::reply(503, "5.5.1", "mailbridge: command out of sequence"));
        return;
    }
    expected_.push_back({});
    send_upstream(raw);
}

// ---- upstream → client
// ---------------------------------------------------------------------------

void SmtpRelayFilter::from_upstream(std::string_view in, RelayOutput& out) {
    if (aborted_) return;
    client_out_ = &out;
    while (!in.empty() && !aborted_) {
        auto outcome = reply_framer_.next(in);
        in.remove_prefix(outcome.consumed);
        if (outcome.status == protocol::LineFramer::Status::NeedMore) break;
        if (outcome.status != protocol::LineFramer::Status::Line) {
            abort_session(smtp::reply(
                421, "4.4.0",
                "mailbridge: the upstream sent a reply line longer than the bridge accepts; "
                "closing the connection"));
            break;
        }
        reply_raw_.append(outcome.raw);
        auto added = assembler_.add_line(outcome.line);
        if (added.status == smtp::ReplyAssembler::Status::NeedMore) continue;
        if (added.status == smtp::ReplyAssembler::Status::Error) {
            spdlog::warn("smtp relay: malformed upstream reply: {}", added.error);
            abort_session(
                smtp::reply(421, "4.4.0",
                            "mailbridge: the upstream sent a malformed reply; closing the "
                            "connection"));
            break;
        }
        on_reply(assembler_.reply());
        reply_raw_.clear();
    }
    if (!aborted_ && !held_.empty() && (mode_ != Mode::command || can_take_command())) {
        std::string pending = std::move(held_);
        held_.clear();
        consume(pending);
    }
    client_out_ = nullptr;
}

void SmtpRelayFilter::on_reply(const smtp::Reply& reply) {
    auto match = tracker_.reply_received(reply.code);
    if (match.closing) upstream_closing_ = true;
    if (match.answer == smtp::TransactionTracker::Match::Answer::Unsolicited) {
        send_client(reply_raw_);
        return;
    }
    expected_.pop_front();
    if (match.answer == smtp::TransactionTracker::Match::Answer::DataBody) {
        ++(match.message_accepted ? counters_.messages_accepted : counters_.messages_refused);
        spdlog::debug("smtp relay: upstream {} the message: {} {}",
                      match.message_accepted ? "accepted" : "refused", reply.code, reply.text());
    }
    if (match.command == CommandKind::Ehlo && reply.positive_completion() &&
        match.answer == smtp::TransactionTracker::Match::Answer::Command) {
        send_client(smtp::ehlo_reply(options_.domain, {.starttls = false, .auth = false},
                                     smtp::parse_ehlo_reply(reply)));
    } else {
        send_client(reply_raw_);
    }
    if (match.answer == smtp::TransactionTracker::Match::Answer::Command &&
        match.command == CommandKind::Quit)
        quit_answered_ = true;
    if (match.body_expected) {
        mode_ = Mode::body;
        terminator_.reset();
    }
    flush_local_replies();
}

// ---- local replies, writes, the end
// --------------------------------------------------------------

void SmtpRelayFilter::reply_locally(std::string reply) {
    if (expected_.empty()) {
        send_client(reply);
        return;
    }
    expected_.push_back({true, std::move(reply)});
}

void SmtpRelayFilter::flush_local_replies() {
    while (!expected_.empty() && expected_.front().local) {
        send_client(expected_.front().reply);
        expected_.pop_front();
    }
}

void SmtpRelayFilter::send_client(std::string_view bytes) {
    if (client_out_) {
        client_out_->append(bytes);
        return;
    }
    if (io_.client_queued_bytes && io_.client_queued_bytes() > options_.max_client_backlog) {
        abort_session(smtp::reply(421, "4.7.0",
                                  "mailbridge: too many replies left unread; closing the "
                                  "connection"));
        return;
    }
    if (io_.write_client) io_.write_client(bytes);
}

void SmtpRelayFilter::send_upstream(std::string_view bytes) {
    if (bytes.empty()) return;
    if (upstream_out_)
        upstream_out_->append(bytes);
    else if (io_.write_upstream)
        io_.write_upstream(bytes);
}

void SmtpRelayFilter::abort_session(std::string goodbye) {
    if (aborted_) return;
    aborted_ = true;
    goodbye_ = std::move(goodbye);
    held_.clear();
    if (upstream_out_) upstream_out_->discard();  // nothing more may reach the upstream
    if (io_.abort_upstream) io_.abort_upstream();
}

std::string SmtpRelayFilter::goodbye_on_upstream_close() const {
    if (aborted_) return goodbye_;
    if (quit_answered_ || upstream_closing_) return {};
    const bool in_flight = mode_ == Mode::body || tracker_.pending() > 0 ||
                           tracker_.in_transaction() || tracker_.awaiting_body();
    if (in_flight)
        return smtp::reply(421, "4.4.2",
                           "mailbridge: upstream closed the connection during the transaction; "
                           "message not accepted");
    return smtp::reply(421, "4.4.2", "mailbridge: the upstream server closed the connection");
}

}  // namespace mb::session
