// Status lines and body sizes of a relayed POP3 session.
#include "bridge/session/pop3_relay_trace.h"

#include "protocol/pop3/limits.h"
#include "protocol/pop3/trace_mask.h"
#include "protocol/printable_text.h"

namespace mb::session {
namespace pop3 = protocol::pop3;

namespace {
// Kept of a status line beyond the trace's cut: enough for printable_trace_line to see it is long.
constexpr std::size_t kKeptFirstLine = protocol::limits::kMaxTraceLineLength + 2;
}  // namespace

Pop3RelayTrace::Pop3RelayTrace(RelayTraceLog log)
    : log_(std::move(log)),
      client_lines_({.max_line = pop3::limits::kMaxAuthLine,
                     .bare_lf = protocol::LineFramer::BareLf::Terminates}) {}

void Pop3RelayTrace::client_bytes(std::string_view bytes) {
    while (!bytes.empty() && !stopped_) {
        auto outcome = client_lines_.next(bytes);
        bytes.remove_prefix(outcome.consumed);
        if (outcome.status == protocol::LineFramer::Status::NeedMore) return;
        if (outcome.status != protocol::LineFramer::Status::Line) {
            log_.client("(a line too long to trace)");
            continue;
        }
        log_.client(pop3::mask_trace_command(outcome.line, sasl_));
        if (!sasl_ && pop3::starts_sasl_exchange(outcome.line)) sasl_ = true;
        if (!tracker_.command_sent(outcome.line)) {
            stopped_ = true;
            log_.client("(too many pipelined commands to follow: the trace stops here)");
        }
    }
}

void Pop3RelayTrace::upstream_bytes(std::string_view bytes) {
    if (stopped_) return;
    tracker_.feed(bytes, [this](const pop3::ResponseEvent& event) { upstream_event(event); });
}

void Pop3RelayTrace::upstream_event(const pop3::ResponseEvent& event) {
    std::string_view bytes = event.bytes;
    if (event.starts_unit) {
        in_first_line_ = true;
        first_line_.clear();
        first_line_size_ = 0;
        body_ = 0;
    }
    if (in_first_line_) {
        const std::size_t lf = bytes.find('\n');
        const std::string_view part =
            bytes.substr(0, lf == std::string_view::npos ? bytes.size() : lf + 1);
        first_line_size_ += part.size();
        first_line_.append(
            part.substr(0, kKeptFirstLine - std::min(kKeptFirstLine, first_line_.size())));
        bytes.remove_prefix(part.size());
        if (lf != std::string_view::npos) {
            in_first_line_ = false;
            std::string text = protocol::printable_trace_line(first_line_);
            if (first_line_size_ > first_line_.size())
                text += " (" + std::to_string(first_line_size_) + " bytes in all)";
            log_.server(text);
            // "+OK"/"-ERR" ends a SASL exchange; "+ " is a challenge within it.
            if (sasl_ && !first_line_.starts_with("+ ")) sasl_ = false;
        }
    }
    body_ += bytes.size();
    if (event.ends_unit && event.multi_line) log_.server(RelayTraceLog::body_size(body_));
}

}  // namespace mb::session
