// StreamFramer: splits one direction of an IMAP stream into protocol units for the relay, without
// buffering literal bodies. A unit (a command, or a response) is one or more line segments; a
// segment ending in a literal announcement ({n}, {n+}, ~{n}, ~{n+}) is followed by n body bytes
// that are handed through as they arrive, then the same unit continues with the next segment.
// Sans-I/O and incremental: the caller feeds what it read; every consumed byte is reported in
// exactly one event, in order, so forwarding the event bytes reproduces the stream unchanged.
// The framer owns only a line segment that spans feeds (bounded by max_line). Literal
// announcements are read by protocol/imap/lexer (scan_literal_announcement).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/imap/lexer.h"
#include "protocol/limits.h"

namespace mb::protocol::imap {

struct StreamEvent {
    enum class Kind {
        NeedMore,     // every byte of the input was taken (a partial segment is held)
        LineSegment,  // `bytes` is one complete segment, CRLF included
        LiteralBody,  // `bytes` is the next chunk of the announced literal body
        Error         // see `error`; `bytes` holds the offending segment when there is one
    };
    Kind kind = Kind::NeedMore;
    std::size_t consumed = 0;  // bytes of the input taken by this call
    std::string_view bytes;    // into the input or the framer; valid until the next call
    bool starts_unit = false;  // LineSegment: first segment of a command/response
    bool ends_unit = false;    // LineSegment: no literal follows; the unit is complete
    std::optional<LiteralHeader> literal;  // LineSegment: the literal announced at its end
    bool literal_complete = false;         // LiteralBody: these are the literal's last bytes
    std::string error;                     // Error: what failed, for a BAD or BYE text
                        // (an overlong line: `bytes` holds every byte taken of it)
    bool stream_usable = false;  // Error: the framer is at a unit start and may go on (a refused
                                 // synchronizing literal the client has not sent)
};

class StreamFramer {
  public:
    enum class Direction { ClientToServer, ServerToClient };
    struct Options {
        Direction direction = Direction::ClientToServer;
        std::size_t max_line = limits::kMaxLineLength;  // one segment, CRLF included
        std::uint64_t max_literal = limits::kMaxPreAuthLiteral;
    };

    explicit StreamFramer(Options options) : options_(options) {}

    // Takes bytes from `input` up to the next event. Call again with the rest of the input until
    // it reports NeedMore. After an Error that is not stream_usable, every call repeats it.
    // A view into the framer (a segment that spanned inputs) is valid until the next call with
    // non-empty input.
    StreamEvent next(std::string_view input);

    // Runs next() over the whole chunk and hands each event (NeedMore excluded) to
    // `on_event(const StreamEvent&)` before taking the next one, so every view is still valid
    // when it is seen. Returns the bytes consumed: all of them unless an Error that leaves the
    // stream unusable ended the feed (a usable Error is reported and the feed goes on).
    template <typename OnEvent>
    std::size_t feed(std::string_view chunk, OnEvent&& on_event) {
        std::size_t consumed = 0;
        for (;;) {
            StreamEvent event = next(chunk.substr(consumed));
            consumed += event.consumed;
            if (event.kind == StreamEvent::Kind::NeedMore) return consumed;
            on_event(static_cast<const StreamEvent&>(event));
            if (event.kind == StreamEvent::Kind::Error && !event.stream_usable) return consumed;
        }
    }

    // Client direction: a synchronizing literal was announced and no byte has followed, so the
    // client waits for the server's "+" continuation.
    bool awaiting_sync_literal() const { return awaiting_sync_; }
    // The server refused that literal (tagged NO/BAD instead of "+"): the client will not send it,
    // and its next bytes start a new command. Returns false when there is nothing to abandon.
    bool abandon_literal();

    bool at_unit_start() const;
    // Literal limit for what follows (small before login, kMaxRelayLiteral after).
    void set_max_literal(std::uint64_t max_literal) { options_.max_literal = max_literal; }
    const Options& options() const { return options_; }

  private:
    StreamEvent next_line(std::string_view input);
    StreamEvent next_literal(std::string_view input);
    StreamEvent finish_segment(std::string_view segment, std::size_t consumed);
    StreamEvent fail_overlong(std::string_view input, std::size_t consumed);
    StreamEvent fail(std::string reason, std::size_t consumed, std::string_view segment,
                     bool usable);

    Options options_;
    std::string partial_;     // a segment that began in an earlier input
    bool release_ = false;    // partial_ was returned; clear it on the next call
    bool unit_start_ = true;  // the next segment starts a unit
    std::uint64_t literal_left_ = 0;
    bool in_literal_ = false;
    bool awaiting_sync_ = false;
    std::optional<std::string> failure_;  // sticky fatal error
    std::string overlong_;                // the bytes of an overlong segment, for its Error event
};

}  // namespace mb::protocol::imap
