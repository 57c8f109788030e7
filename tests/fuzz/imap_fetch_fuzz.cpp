// Fuzz target for the cache's IMAP readers: StreamFramer (server direction) feeds
// ResponseUnitParser in chunks sized by the first input byte, with a small keep bound so the
// drop path is reached; each unit's raw ENVELOPE must parse again on its own, and a second parser
// keeping envelopes raw must agree with it (see check_unit). The same bytes go to parse_envelope,
// parse_uid_set, peek_command and parse_mailbox_command.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/imap/command_parser.h"
#include "protocol/imap/envelope.h"
#include "protocol/imap/fetch_response.h"
#include "protocol/imap/stream_framer.h"
#include "protocol/limits.h"

using namespace mb::protocol;
using namespace mb::protocol::imap;

namespace {
// `raw_only` read the same unit keeping envelopes raw: what it keeps is a bounded list, and when
// that list is a readable envelope, `parser` kept the same one (both keep the last ENVELOPE item
// they accept; `parser` only accepts readable ones).
void check_unit(ResponseUnitParser& parser, ResponseUnitParser& raw_only, std::size_t max_kept) {
    auto unit = parser.finish();
    auto raw_unit = raw_only.finish();
    const auto* fetch = unit ? std::get_if<FetchData>(&*unit) : nullptr;
    const auto* raw_fetch = raw_unit ? std::get_if<FetchData>(&*raw_unit) : nullptr;
    if ((fetch == nullptr) != (raw_fetch == nullptr)) std::abort();
    if (fetch == nullptr) return;
    if (fetch->raw_envelope) {
        if (fetch->raw_envelope->size() > max_kept) std::abort();
        auto again = parse_envelope(*fetch->raw_envelope);
        if (!again || !(*again == *fetch->envelope)) std::abort();
    }
    if (raw_fetch->envelope) std::abort();
    if (!raw_fetch->raw_envelope) return;
    const std::string& raw = *raw_fetch->raw_envelope;
    if (raw.size() > max_kept || raw.size() < 2 || raw.front() != '(' || raw.back() != ')')
        std::abort();
    if (parse_envelope(raw) && fetch->raw_envelope != raw) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 32;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    (void)parse_envelope(input);
    (void)parse_uid_set(input);
    (void)peek_command(input);
    (void)parse_mailbox_command(input);

    constexpr std::size_t kMaxKept = 512;
    StreamFramer framer({StreamFramer::Direction::ServerToClient, 4096, limits::kMaxRelayLiteral});
    ResponseUnitParser parser(kMaxKept);
    ResponseUnitParser raw_only(kMaxKept, ResponseUnitParser::EnvelopeReading::RawOnly);
    bool failed = false;
    for (std::size_t offset = 0; offset < input.size() && !failed; offset += chunk) {
        framer.feed(input.substr(offset, chunk), [&](const StreamEvent& event) {
            if (event.kind == StreamEvent::Kind::Error) {
                failed = true;
            } else if (event.kind == StreamEvent::Kind::LineSegment) {
                parser.segment(event.bytes);
                raw_only.segment(event.bytes);
                if (event.ends_unit) check_unit(parser, raw_only, kMaxKept);
            } else {
                parser.literal(event.bytes);
                raw_only.literal(event.bytes);
            }
        });
    }
    return 0;
}
