// Framing and CAPABILITY rewriting of the upstream→client IMAP stream.
#include "bridge/session/imap_response_filter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "protocol/imap/capabilities.h"
#include "protocol/limits.h"

namespace mb::session {
namespace imap = protocol::imap;

namespace {
constexpr std::size_t kRelayMaxLine = 1024 * 1024;

bool starts_with_ci(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    return true;
}

// Only "* CAPABILITY …" and a status response whose code is [CAPABILITY …] carry a list; numbered
// responses (FETCH, EXISTS…) never do, and are most of the traffic: they are not searched.
bool mentions_capability(std::string_view line) {
    std::string_view rest = line.substr(2);  // after "* "
    if (rest.empty() || std::isdigit(static_cast<unsigned char>(rest[0]))) return false;
    if (starts_with_ci(rest, "CAPABILITY")) return true;
    const std::size_t space = rest.find(' ');
    constexpr std::size_t kLongestStatus = 7;  // PREAUTH
    return space != std::string_view::npos && space <= kLongestStatus &&
           starts_with_ci(rest.substr(space + 1), "[CAPABILITY");
}
}  // namespace

ImapResponseFilter::ImapResponseFilter(std::function<void()> on_bye)
    : framer_({.direction = imap::StreamFramer::Direction::ServerToClient,
               .max_line = kRelayMaxLine,
               .max_literal = protocol::limits::kMaxRelayLiteral}),
      on_bye_(std::move(on_bye)) {}

Relay::Filter ImapResponseFilter::make(std::function<void()> on_bye) {
    return wrap(std::make_shared<ImapResponseFilter>(std::move(on_bye)));
}

Relay::Filter ImapResponseFilter::wrap(std::shared_ptr<ImapResponseFilter> filter) {
    return [filter](std::string_view in, RelayOutput& out) { (*filter)(in, out); };
}

void ImapResponseFilter::operator()(std::string_view in, std::string& out) {
    RelayOutput collected(out);
    (*this)(in, collected);
}

void ImapResponseFilter::operator()(std::string_view in, RelayOutput& out) {
    while (!in.empty()) {
        if (passthrough_) {
            out.append(in);
            break;
        }
        auto event = framer_.next(in);
        // Every byte the framer takes comes out in exactly one event: what it took beyond the
        // event's bytes is held, and an event made of held bytes releases them.
        held_ += event.consumed;
        held_ -= std::min(held_, event.bytes.size());
        if (event.kind != imap::StreamEvent::Kind::NeedMore)
            for (const auto& observer : observers_) observer(event);
        if (event.kind == imap::StreamEvent::Kind::NeedMore) break;
        switch (event.kind) {
            case imap::StreamEvent::Kind::NeedMore:
                break;
            case imap::StreamEvent::Kind::Error:
                spdlog::debug(
                    "imap relay: cannot frame the upstream stream ({}); passing it "
                    "through unobserved",
                    event.error);
                passthrough_ = true;
                out.append(event.bytes);
                break;
            case imap::StreamEvent::Kind::LiteralBody:
                client_at_boundary_ = false;
                out.append(event.bytes);
                break;
            case imap::StreamEvent::Kind::LineSegment: {
                std::string_view line = event.bytes;
                client_at_boundary_ = event.ends_unit;
                if (event.starts_unit && line.size() > 2 && line[0] == '*') {
                    if (starts_with_ci(line, "* BYE") && on_bye_) on_bye_();
                    if (!event.literal && mentions_capability(line)) {
                        if (auto rewritten = imap::rewrite_capability_response(line)) {
                            out.append(*rewritten);
                            break;
                        }
                    }
                }
                out.append(line);
                break;
            }
        }
        in.remove_prefix(event.consumed);
    }
    out.set_held(held_);
}

}  // namespace mb::session
