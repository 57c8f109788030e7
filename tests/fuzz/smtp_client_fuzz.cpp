// Fuzz target for the client side of SMTP: LineFramer (bare LF rejected, AUTH line limit) fed in
// chunks sized by the input, every line parsed by parse_command; after a DATA command the bytes
// go through DataTerminator until the body ends, as the session does. Aborts if a refusal's reply
// is not one line, if the terminator reports more bytes than it was given, or if a completed body
// does not end in CRLF.CRLF.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/line_framer.h"
#include "protocol/smtp/command_parser.h"
#include "protocol/smtp/data_terminator.h"
#include "protocol/smtp/limits.h"

using namespace mb::protocol;
using namespace mb::protocol::smtp;

namespace {
void check_reply(const std::string& reply) {
    if (reply.size() < 2 || !reply.ends_with("\r\n") ||
        reply.find_first_of("\r\n") != reply.size() - 2)
        std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 64;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

    LineFramer framer({smtp::limits::kMaxAuthLine, LineFramer::BareLf::Rejected});
    DataTerminator terminator;
    bool in_body = false;
    std::string body;
    for (std::size_t offset = 0; offset < input.size(); offset += chunk) {
        std::string_view rest = input.substr(offset, chunk);
        while (!rest.empty()) {
            if (in_body) {
                auto outcome = terminator.scan(rest);
                if (outcome.consumed > rest.size()) std::abort();
                body.append(rest.substr(0, outcome.consumed));
                rest.remove_prefix(outcome.consumed);
                if (outcome.status == DataTerminator::Status::InBody) continue;
                if (outcome.status == DataTerminator::Status::Complete &&
                    !(body == ".\r\n" || body.ends_with("\r\n.\r\n")))
                    std::abort();
                if (outcome.status != DataTerminator::Status::Complete) return 0;
                in_body = false;
                body.clear();
                terminator.reset();
                continue;
            }
            auto framed = framer.next(rest);
            rest.remove_prefix(framed.consumed);
            if (framed.status == LineFramer::Status::NeedMore) break;
            if (framed.status == LineFramer::Status::LineTooLong) {
                check_reply(line_too_long_error().reply());
                continue;
            }
            if (framed.status == LineFramer::Status::BareLineFeed) {
                check_reply(bare_line_feed_error().reply());
                continue;
            }
            (void)parse_sasl_answer(framed.line);
            auto parsed = parse_command(framed.line);
            if (auto* error = std::get_if<CommandError>(&parsed)) {
                check_reply(error->reply());
                continue;
            }
            const Command& command = std::get<Command>(parsed);
            if (command.kind == CommandKind::Data) in_body = framer.at_line_start();
        }
    }
    return 0;
}
