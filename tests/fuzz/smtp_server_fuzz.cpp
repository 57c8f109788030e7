// Fuzz target for the server side of SMTP: LineFramer (reply line limit) fed in chunks sized by
// the input, every line through ReplyAssembler; each complete reply is matched by a
// TransactionTracker fed a command sequence chosen by the input, EHLO replies are parsed and the
// bridge's own EHLO reply rebuilt from them. Aborts if the rebuilt EHLO reply offers CHUNKING,
// BINARYMIME or the upstream's AUTH, or does not parse back as one 250 reply.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/line_framer.h"
#include "protocol/smtp/ehlo_capabilities.h"
#include "protocol/smtp/limits.h"
#include "protocol/smtp/reply_parser.h"
#include "protocol/smtp/transaction_tracker.h"

using namespace mb::protocol;
using namespace mb::protocol::smtp;

namespace {
constexpr CommandKind kCommands[] = {CommandKind::Ehlo, CommandKind::Mail, CommandKind::Rcpt,
                                     CommandKind::Data, CommandKind::Rset, CommandKind::Noop,
                                     CommandKind::Auth, CommandKind::Quit};

void check_ehlo(const Reply& reply) {
    EhloCapabilities caps = parse_ehlo_reply(reply);
    const std::string local = ehlo_reply("bridge.local", {false, true}, caps);
    LineFramer framer;
    ReplyAssembler assembler;
    std::string_view rest = local;
    bool complete = false;
    while (!rest.empty()) {
        auto framed = framer.next(rest);
        rest.remove_prefix(framed.consumed);
        if (framed.status != LineFramer::Status::Line) std::abort();
        auto outcome = assembler.add_line(framed.line);
        if (outcome.status == ReplyAssembler::Status::Error || complete) std::abort();
        complete = outcome.status == ReplyAssembler::Status::Complete;
    }
    if (!complete || assembler.reply().code != 250) std::abort();
    EhloCapabilities again = parse_ehlo_reply(assembler.reply());
    if (again.chunking || again.binary_mime || again.starttls ||
        again.auth_mechanisms != std::vector<std::string>{"PLAIN", "LOGIN"})
        std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const std::size_t chunk = 1 + data[0] % 64;
    const std::uint8_t script = data[1];
    std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

    LineFramer framer({smtp::limits::kMaxReplyLine, LineFramer::BareLf::Terminates});
    ReplyAssembler assembler;
    TransactionTracker tracker;
    std::size_t next_command = script;
    for (std::size_t offset = 0; offset < input.size(); offset += chunk) {
        std::string_view rest = input.substr(offset, chunk);
        while (!rest.empty()) {
            auto framed = framer.next(rest);
            rest.remove_prefix(framed.consumed);
            if (framed.status != LineFramer::Status::Line) continue;
            if (auto line = parse_reply_line(framed.line)) (void)enhanced_code_prefix(line->text);
            auto outcome = assembler.add_line(framed.line);
            if (outcome.status != ReplyAssembler::Status::Complete) continue;
            const Reply& reply = assembler.reply();
            (void)reply.text();
            while (tracker.can_send_command() && tracker.pending() < 3)
                (void)tracker.command_sent(kCommands[next_command++ % std::size(kCommands)]);
            auto match = tracker.reply_received(reply.code);
            if (match.body_expected && !tracker.data_body_sent()) std::abort();
            if (match.command == CommandKind::Ehlo && reply.code == 250) check_ehlo(reply);
        }
    }
    return 0;
}
