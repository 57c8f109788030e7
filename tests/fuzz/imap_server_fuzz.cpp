// Fuzz target for the server side of IMAP: StreamFramer (server direction, relay limits) fed in
// chunks sized by the input, every first line of a response parsed by parse_response and passed
// through rewrite_capability_response. Aborts if a rewritten line still carries a stripped
// capability or if the events do not reproduce the consumed bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/imap/capabilities.h"
#include "protocol/imap/response_parser.h"
#include "protocol/imap/stream_framer.h"
#include "protocol/imap/trace_mask.h"
#include "protocol/limits.h"

using namespace mb::protocol;
using namespace mb::protocol::imap;

namespace {
void check_line(std::string_view line) {
    (void)parse_response(line);
    (void)mask_trace_line(line, TraceDirection::Response, false);
    auto rewritten = rewrite_capability_response(line);
    if (!rewritten) return;
    auto reparsed = parse_response(*rewritten);
    if (!reparsed) std::abort();
    for (std::string_view capability : reparsed->capabilities)
        if (!is_relayable_capability(capability)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 32;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    check_line(input);

    StreamFramer framer({StreamFramer::Direction::ServerToClient, 4096, limits::kMaxRelayLiteral});
    std::string events;
    std::size_t consumed = 0;
    bool failed = false;
    for (std::size_t offset = 0; offset < input.size() && !failed; offset += chunk) {
        consumed += framer.feed(input.substr(offset, chunk), [&](const StreamEvent& event) {
            if (event.kind == StreamEvent::Kind::Error) {
                failed = true;
                return;
            }
            events.append(event.bytes);
            if (event.kind == StreamEvent::Kind::LineSegment && event.starts_unit)
                check_line(event.bytes);
        });
    }
    // Consumed bytes not yet reported are the start of a segment held by the framer.
    if (!failed && (!input.substr(0, consumed).starts_with(events) ||
                    consumed - events.size() > framer.options().max_line))
        std::abort();
    return 0;
}
