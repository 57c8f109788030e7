// Fuzz target for the client side of IMAP: StreamFramer (client direction, pre-login limits) fed
// in chunks sized by the input itself, every gathered command parsed by parse_command,
// peek_command and parse_mailbox_command and rendered by mask_trace_line (all of them read tokens
// with protocol/imap/lexer), and a framer with relay limits fed whole and in chunks. Aborts if the
// events do not reproduce the consumed bytes or the two framers disagree on the command boundary.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/imap/command_parser.h"
#include "protocol/imap/stream_framer.h"
#include "protocol/imap/trace_mask.h"
#include "protocol/limits.h"

using namespace mb::protocol;
using namespace mb::protocol::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 16;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

    (void)parse_command(input);

    // Whether the client stopped between two commands (the relay's LOGOUT decision) must not
    // depend on how the bytes were split.
    const StreamFramer::Options relay{StreamFramer::Direction::ClientToServer, 4096,
                                      limits::kMaxRelayLiteral};
    StreamFramer whole(relay);
    whole.feed(input, [](const StreamEvent&) {});
    StreamFramer pieces(relay);
    for (std::size_t offset = 0; offset < input.size(); offset += chunk)
        pieces.feed(input.substr(offset, chunk), [](const StreamEvent&) {});
    if (whole.at_unit_start() != pieces.at_unit_start()) std::abort();

    StreamFramer framer(
        {StreamFramer::Direction::ClientToServer, 4096, limits::kMaxPreAuthLiteral});
    std::string unit;
    std::string events;
    std::size_t consumed = 0;
    bool failed = false;
    for (std::size_t offset = 0; offset < input.size() && !failed; offset += chunk) {
        std::string_view piece = input.substr(offset, chunk);
        consumed += framer.feed(piece, [&](const StreamEvent& event) {
            if (event.kind == StreamEvent::Kind::Error) {
                if (!event.stream_usable) {
                    failed = true;
                    return;
                }
                events.append(event.bytes);
                unit.clear();
                return;
            }
            events.append(event.bytes);
            unit.append(event.bytes);
            if (event.ends_unit) {
                (void)parse_command(unit);
                (void)peek_command(unit);
                (void)parse_mailbox_command(unit);
                (void)mask_trace_line(unit, TraceDirection::Command, false);
                (void)mask_trace_line(unit, TraceDirection::Command, true);
                unit.clear();
            }
        });
        if (framer.awaiting_sync_literal() && (piece.front() & 1)) framer.abandon_literal();
    }
    // Consumed bytes not yet reported are the start of a segment held by the framer.
    if (!failed && (!input.substr(0, consumed).starts_with(events) ||
                    consumed - events.size() > framer.options().max_line))
        std::abort();
    return 0;
}
