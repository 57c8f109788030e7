// ImapCommandFilter implementation: one StreamFramer (client direction, relay limits) whose events
// fan out to the observers.
#include "bridge/session/imap_command_filter.h"

#include "protocol/imap/lexer.h"
#include "protocol/imap/syntax.h"
#include "protocol/limits.h"

namespace mb::session {
namespace imap = protocol::imap;

namespace {
constexpr std::size_t kRelayMaxLine = 1024 * 1024;  // as the response filter
}  // namespace

ImapCommandFilter::ImapCommandFilter()
    : framer_({.direction = imap::StreamFramer::Direction::ClientToServer,
               .max_line = kRelayMaxLine,
               .max_literal = protocol::limits::kMaxRelayLiteral}) {}

Relay::Filter ImapCommandFilter::wrap(std::shared_ptr<ImapCommandFilter> filter) {
    return [filter](std::string_view in, RelayOutput& out) { (*filter)(in, out); };
}

void ImapCommandFilter::operator()(std::string_view in, RelayOutput& out) {
    out.append(in);
    feed(in);
}

void ImapCommandFilter::operator()(std::string_view in, std::string& out) {
    RelayOutput collected(out);
    (*this)(in, collected);
}

void ImapCommandFilter::feed(std::string_view bytes) {
    if (failed_) return;
    framer_.feed(bytes, [this](const imap::StreamEvent& event) {
        if (event.kind == imap::StreamEvent::Kind::LineSegment && event.starts_unit)
            unit_tag_.assign(
                event.bytes.substr(0, imap::scan_while(event.bytes, imap::is_tag_char)));
        if (event.kind == imap::StreamEvent::Kind::Error && !event.stream_usable) failed_ = true;
        for (const Observer& observer : observers_) observer(event);
    });
}

void ImapCommandFilter::upstream_event(const imap::StreamEvent& event) {
    if (event.kind != imap::StreamEvent::Kind::LineSegment || !event.starts_unit ||
        !framer_.awaiting_sync_literal() || unit_tag_.empty())
        return;
    const std::string_view tag =
        event.bytes.substr(0, imap::scan_while(event.bytes, imap::is_tag_char));
    if (tag == unit_tag_ && event.bytes.substr(tag.size()).starts_with(' '))
        framer_.abandon_literal();
}

}  // namespace mb::session
