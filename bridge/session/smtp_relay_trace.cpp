// Command, reply and body-size tracing of a relayed SMTP session.
#include "bridge/session/smtp_relay_trace.h"

#include <charconv>

#include "protocol/printable_text.h"
#include "protocol/smtp/limits.h"
#include "protocol/smtp/trace_mask.h"
#include "protocol/text_command_words.h"

namespace mb::session {
namespace smtp = protocol::smtp;
using Status = protocol::LineFramer::Status;

SmtpRelayTrace::SmtpRelayTrace(RelayTraceLog log)
    : log_(std::move(log)),
      commands_({.max_line = smtp::limits::kMaxCommandLine,
                 .bare_lf = protocol::LineFramer::BareLf::Terminates}),
      replies_({.max_line = smtp::limits::kMaxReplyLine,
                .bare_lf = protocol::LineFramer::BareLf::Terminates}) {}

void SmtpRelayTrace::client_bytes(std::string_view bytes) {
    while (!bytes.empty()) {
        if (skip_ > 0) {
            const std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(skip_, bytes.size()));
            skip_ -= n;
            bytes.remove_prefix(n);
            if (skip_ == 0) log_.client(RelayTraceLog::body_size(chunk_));
            continue;
        }
        if (in_body_) {
            auto outcome = body_.scan(bytes);
            bytes.remove_prefix(outcome.consumed);
            if (outcome.status == smtp::DataTerminator::Status::InBody) return;
            log_.client(RelayTraceLog::body_size(body_.body_bytes()) +
                        (outcome.status == smtp::DataTerminator::Status::Complete
                             ? ""
                             : " (a bare CR or LF: the relay drops the message)"));
            in_body_ = false;
            body_.reset();
            continue;
        }
        auto outcome = commands_.next(bytes);
        bytes.remove_prefix(outcome.consumed);
        if (outcome.status == Status::NeedMore) return;
        if (outcome.status == Status::Line)
            on_command(outcome.line);
        else
            log_.client("(a line too long to trace)");
    }
}

void SmtpRelayTrace::on_command(std::string_view line) {
    log_.client(smtp::mask_trace_command(line, false));
    data_sent_ = protocol::command_is(line, "DATA");
    if (!protocol::command_is(line, "BDAT")) return;
    // "BDAT <size> [LAST]": the chunk follows at once, without a reply in between.
    const std::string_view rest = line.substr(4);
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) return;
    std::uint64_t size = 0;
    auto [end, error] = std::from_chars(rest.data() + start, rest.data() + rest.size(), size);
    if (error != std::errc() || size == 0) return;
    skip_ = chunk_ = size;
}

void SmtpRelayTrace::upstream_bytes(std::string_view bytes) {
    while (!bytes.empty()) {
        auto outcome = replies_.next(bytes);
        bytes.remove_prefix(outcome.consumed);
        if (outcome.status == Status::NeedMore) return;
        if (outcome.status != Status::Line) {
            log_.server("(a line too long to trace)");
            continue;
        }
        log_.server(protocol::printable_trace_line(outcome.line));
        // The client sends the message only after this 354 (DATA is last in a pipelined group).
        if (data_sent_ && outcome.line.starts_with("354")) {
            data_sent_ = false;
            in_body_ = true;
        }
    }
}

}  // namespace mb::session
