// Fuzz target for the server side of POP3: a ResponseTracker fed a command sequence chosen by the
// input and the server bytes in chunks sized by the input. Every response's first line goes
// through parse_status_line; whole CAPA responses through parse_capa_response and
// rewrite_capa_response. Aborts if the events do not reproduce the input, or if a rewritten CAPA
// still lists a stripped capability.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/pop3/capabilities.h"
#include "protocol/pop3/limits.h"
#include "protocol/pop3/response_parser.h"
#include "protocol/pop3/response_tracker.h"

using namespace mb::protocol;
using namespace mb::protocol::pop3;

namespace {
constexpr std::string_view kCommands[] = {"CAPA", "RETR 1",  "LIST",   "LIST 1", "UIDL",
                                          "STAT", "TOP 1 0", "DELE 1", "AUTH",   "QUIT"};

void check_capa(std::string_view response) {
    (void)parse_capa_response(response);
    auto rewritten = rewrite_capa_response(response);
    if (!rewritten) return;
    auto reparsed = parse_capa_response(*rewritten);
    if (!reparsed) return;
    for (const std::string& line : reparsed->lines)
        if (!is_relayable_capability(line)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const std::size_t chunk = 1 + data[0] % 64;
    std::size_t next_command = data[1];
    std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

    ResponseTracker tracker;
    std::string events;
    std::string unit;
    bool capa = false;
    for (std::size_t offset = 0; offset < input.size(); offset += chunk) {
        tracker.feed(input.substr(offset, chunk), [&](const ResponseEvent& event) {
            events.append(event.bytes);
            if (event.starts_unit) {
                unit.clear();
                capa = event.command == "CAPA";
            }
            if (unit.size() + event.bytes.size() <= pop3::limits::kMaxCapaResponse)
                unit.append(event.bytes);
            if (!event.ends_unit) return;
            (void)parse_status_line(std::string_view(unit).substr(0, unit.find('\n')));
            if (capa) check_capa(unit);
            while (tracker.pending() < 2)
                (void)tracker.command_sent(kCommands[next_command++ % std::size(kCommands)]);
        });
        if (tracker.pending() == 0 && tracker.at_unit_start())
            (void)tracker.command_sent(kCommands[next_command++ % std::size(kCommands)]);
    }
    if (events != input) std::abort();
    return 0;
}
