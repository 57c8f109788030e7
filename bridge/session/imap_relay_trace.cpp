// Line and literal tracing of a relayed IMAP session.
#include "bridge/session/imap_relay_trace.h"

#include "protocol/imap/syntax.h"
#include "protocol/imap/trace_mask.h"
#include "protocol/limits.h"

namespace mb::session {
namespace imap = protocol::imap;
using Kind = imap::StreamEvent::Kind;

namespace {

constexpr std::size_t kMaxLine = 1024 * 1024;  // as the response filter: past it, stop tracing

std::string_view word(std::string_view line, std::size_t index) {
    std::size_t start = 0;
    for (std::size_t i = 0;; ++i) {
        start = line.find_first_not_of(' ', start);
        if (start == std::string_view::npos) return {};
        const std::size_t end = std::min(line.find_first_of(" \r\n", start), line.size());
        if (i == index) return line.substr(start, end - start);
        start = end;
    }
}

}  // namespace

ImapRelayTrace::ImapRelayTrace(RelayTraceLog log)
    : log_(std::move(log)),
      client_framer_({.direction = imap::StreamFramer::Direction::ClientToServer,
                      .max_line = kMaxLine,
                      .max_literal = protocol::limits::kMaxRelayLiteral}) {}

void ImapRelayTrace::client_bytes(std::string_view bytes) {
    if (client_stopped_) return;
    client_framer_.feed(bytes, [this](const imap::StreamEvent& event) { client_event(event); });
}

void ImapRelayTrace::client_event(const imap::StreamEvent& event) {
    switch (event.kind) {
        case Kind::NeedMore:
            return;
        case Kind::Error:
            if (!event.stream_usable) {
                client_stopped_ = true;
                log_.client("(the trace of client commands stops here: " + event.error + ")");
            }
            return;
        case Kind::LiteralBody:
            client_literal_ += event.bytes.size();
            if (event.literal_complete) {
                // Not even a credential's length is shown.
                log_.client(unit_masked_ ? "***" : RelayTraceLog::body_size(client_literal_));
                client_literal_ = 0;
            }
            return;
        case Kind::LineSegment:
            break;
    }
    std::string text;
    if (event.starts_unit) {
        const bool sasl = !sasl_tag_.empty();
        text = imap::mask_trace_line(event.bytes, imap::TraceDirection::Command, sasl);
        if (!sasl) {
            client_tag_ = std::string(word(event.bytes, 0));
            const std::string_view name = word(event.bytes, 1);
            const bool authenticate = imap::iequals(name, "AUTHENTICATE");
            unit_masked_ = authenticate || imap::iequals(name, "LOGIN");
            // No initial response: the client's next lines answer the server's challenges.
            if (authenticate && word(event.bytes, 3).empty()) sasl_tag_ = client_tag_;
        }
    } else {
        text = unit_masked_
                   ? "***"
                   : imap::mask_trace_line(event.bytes, imap::TraceDirection::Response, false);
    }
    log_.client(text);
    if (event.literal && event.literal->size == 0) log_.client(RelayTraceLog::body_size(0));
    if (event.ends_unit) unit_masked_ = false;
}

void ImapRelayTrace::upstream_event(const imap::StreamEvent& event) {
    switch (event.kind) {
        case Kind::NeedMore:
            return;
        case Kind::Error:
            log_.server("(the trace of server responses stops here: " + event.error + ")");
            return;
        case Kind::LiteralBody:
            upstream_literal_ += event.bytes.size();
            if (event.literal_complete) {
                log_.server(RelayTraceLog::body_size(upstream_literal_));
                upstream_literal_ = 0;
            }
            return;
        case Kind::LineSegment:
            break;
    }
    log_.server(imap::mask_trace_line(event.bytes, imap::TraceDirection::Response, false));
    if (event.literal && event.literal->size == 0) log_.server(RelayTraceLog::body_size(0));
    if (!event.starts_unit || event.bytes.empty() || event.bytes[0] == '*' || event.bytes[0] == '+')
        return;
    const std::string_view tag = word(event.bytes, 0);
    if (!sasl_tag_.empty() && tag == sasl_tag_) sasl_tag_.clear();
    // The server refused a synchronizing literal: the client will not send it.
    if (tag == client_tag_ && client_framer_.awaiting_sync_literal()) {
        client_framer_.abandon_literal();
        unit_masked_ = false;
    }
}

}  // namespace mb::session
