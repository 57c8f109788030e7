// StreamFramer implementation: line segments are scanned once for their LF, a segment spanning
// feeds is copied into one bounded buffer, literal bodies are counted and passed by view.
#include "protocol/imap/stream_framer.h"

#include <algorithm>
#include <cstring>

namespace mb::protocol::imap {

namespace {
constexpr std::size_t kKeepCapacity = 4096;
}  // namespace

bool StreamFramer::at_unit_start() const {
    // A released partial_ is the segment last returned, complete: no byte of a line is held.
    return unit_start_ && !in_literal_ && (partial_.empty() || release_) && !failure_;
}

bool StreamFramer::abandon_literal() {
    if (!awaiting_sync_) return false;
    awaiting_sync_ = false;
    in_literal_ = false;
    literal_left_ = 0;
    unit_start_ = true;
    return true;
}

StreamEvent StreamFramer::next(std::string_view input) {
    if (failure_) {
        StreamEvent event;
        event.kind = StreamEvent::Kind::Error;
        event.error = *failure_;
        return event;
    }
    if (input.empty()) return {};
    if (release_) {
        release_ = false;
        if (partial_.capacity() > kKeepCapacity)
            std::string().swap(partial_);
        else
            partial_.clear();
    }
    awaiting_sync_ = false;
    return in_literal_ ? next_literal(input) : next_line(input);
}

StreamEvent StreamFramer::next_literal(std::string_view input) {
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, input.size()));
    literal_left_ -= take;
    StreamEvent event;
    event.kind = StreamEvent::Kind::LiteralBody;
    event.consumed = take;
    event.bytes = input.substr(0, take);
    event.literal_complete = literal_left_ == 0;
    if (literal_left_ == 0) in_literal_ = false;
    return event;
}

StreamEvent StreamFramer::next_line(std::string_view input) {
    const void* found = std::memchr(input.data(), '\n', input.size());
    if (found == nullptr) {
        if (partial_.size() + input.size() > options_.max_line)
            return fail_overlong(input, input.size());
        partial_.append(input);
        StreamEvent event;
        event.consumed = input.size();
        return event;
    }
    const std::size_t consumed = static_cast<const char*>(found) - input.data() + 1;
    if (partial_.size() + consumed > options_.max_line) return fail_overlong(input, consumed);
    if (partial_.empty()) return finish_segment(input.substr(0, consumed), consumed);
    partial_.append(input.substr(0, consumed));
    release_ = true;
    return finish_segment(partial_, consumed);
}

StreamEvent StreamFramer::finish_segment(std::string_view segment, std::size_t consumed) {
    LiteralScan scan = scan_literal_announcement(segment, options_.max_literal);
    if (!scan.error.empty()) {
        const bool usable = options_.direction == Direction::ClientToServer && !scan.non_sync;
        return fail(std::move(scan.error), consumed, segment, usable);
    }
    StreamEvent event;
    event.kind = StreamEvent::Kind::LineSegment;
    event.consumed = consumed;
    event.bytes = segment;
    event.starts_unit = unit_start_;
    event.literal = scan.header;
    event.ends_unit = !scan.header;
    unit_start_ = event.ends_unit;
    if (scan.header) {
        in_literal_ = scan.header->size > 0;
        literal_left_ = scan.header->size;
        awaiting_sync_ = options_.direction == Direction::ClientToServer && !scan.header->non_sync;
    }
    return event;
}

StreamEvent StreamFramer::fail_overlong(std::string_view input, std::size_t consumed) {
    // Hand back every byte taken of the overlong segment, held ones included, so that a caller
    // passing the stream through unobserved loses nothing.
    overlong_ = std::move(partial_);
    overlong_.append(input.substr(0, consumed));
    StreamEvent event = fail("line longer than " + std::to_string(options_.max_line) + " bytes",
                             consumed, {}, false);
    event.bytes = overlong_;
    return event;
}

StreamEvent StreamFramer::fail(std::string reason, std::size_t consumed, std::string_view segment,
                               bool usable) {
    StreamEvent event;
    event.kind = StreamEvent::Kind::Error;
    event.consumed = consumed;
    event.bytes = segment;
    event.stream_usable = usable;
    if (usable) {
        unit_start_ = true;
    } else {
        failure_ = reason;
        partial_.clear();
        release_ = false;
        event.bytes = {};
    }
    event.error = std::move(reason);
    return event;
}

}  // namespace mb::protocol::imap
