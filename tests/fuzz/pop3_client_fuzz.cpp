// Fuzz target for the client side of POP3: LineFramer (AUTH line limit) fed in chunks sized by
// the input, every line parsed by parse_command and recorded in a ResponseTracker as the relay
// would. Aborts if a refusal is not one "-ERR" line or a parsed keyword is not upper-case.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/line_framer.h"
#include "protocol/pop3/command_parser.h"
#include "protocol/pop3/limits.h"
#include "protocol/pop3/response_tracker.h"

using namespace mb::protocol;
using namespace mb::protocol::pop3;

namespace {
void check_response(const std::string& response) {
    if (!response.starts_with("-ERR") || !response.ends_with("\r\n") ||
        response.find_first_of("\r\n") != response.size() - 2)
        std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 64;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

    LineFramer framer({pop3::limits::kMaxAuthLine, LineFramer::BareLf::Terminates});
    ResponseTracker tracker;
    for (std::size_t offset = 0; offset < input.size(); offset += chunk) {
        std::string_view rest = input.substr(offset, chunk);
        while (!rest.empty()) {
            auto framed = framer.next(rest);
            rest.remove_prefix(framed.consumed);
            if (framed.status == LineFramer::Status::LineTooLong) {
                check_response(line_too_long_error().response());
                continue;
            }
            if (framed.status != LineFramer::Status::Line) continue;
            (void)parse_sasl_answer(framed.line);
            if (tracker.can_send_command() && !tracker.command_sent(framed.line)) std::abort();
            auto parsed = parse_command(framed.line);
            if (auto* error = std::get_if<CommandError>(&parsed)) {
                check_response(error->response());
                continue;
            }
            for (char c : std::get<Command>(parsed).name)
                if (c < 'A' || c > 'Z') std::abort();
        }
    }
    return 0;
}
