// ResponseTracker: follows the server→client direction of a relayed POP3 session after login and
// marks where each response ends, so the relay can act on whole responses (rewrite the CAPA
// answer) while passing every other byte through unchanged. POP3 responses carry no length: a
// response is multi-line ("."-terminated, dot-stuffed) only when it answers CAPA, RETR, TOP, a
// bare LIST, UIDL or AUTH with +OK, so the tracker is told each client command, in order, as the
// relay forwards it (RFC 2449 PIPELINING: many may be outstanding).
// Sans-I/O and zero-copy: events are views into the caller's input, each consumed byte is in
// exactly one event, in order. Line ends are LF with or without CR, as clients read them; the
// terminator is "." alone on a line. Owns only the queue of outstanding commands (bounded by
// limits::kMaxPendingCommands) and the scan state; never a line.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace mb::protocol::pop3 {

struct ResponseEvent {
    enum class Kind {
        NeedMore,  // every byte of the input was taken
        Bytes      // `bytes` is the next part of the current response
    };
    Kind kind = Kind::NeedMore;
    std::size_t consumed = 0;
    std::string_view bytes;    // into the input
    bool starts_unit = false;  // the first bytes of a response
    bool ends_unit = false;    // the last bytes of a response
    bool multi_line = false;   // the response is a "."-terminated list
    // Upper-case keyword of the command this response answers ("" for a response no command
    // asked for, such as a server's -ERR before it closes). Valid until the next call.
    std::string_view command;
};

class ResponseTracker {
  public:
    // Records one client command line (without CRLF) that the relay forwards upstream. Refused
    // when kMaxPendingCommands responses are outstanding: stop reading the client until they end.
    Result<void> command_sent(std::string_view command_line);

    // Takes bytes from `input` up to the end of the current response or of the input.
    ResponseEvent next(std::string_view input);

    // Runs next() over the whole chunk and hands each Bytes event to `on_event(const
    // ResponseEvent&)` in order.
    template <typename OnEvent>
    void feed(std::string_view chunk, OnEvent&& on_event) {
        for (;;) {
            ResponseEvent event = next(chunk);
            if (event.kind == ResponseEvent::Kind::NeedMore) return;
            chunk.remove_prefix(event.consumed);
            on_event(static_cast<const ResponseEvent&>(event));
        }
    }

    std::size_t pending() const { return pending_.size(); }
    bool can_send_command() const;
    bool at_unit_start() const { return state_ == State::UnitStart; }

  private:
    struct Pending {
        std::string command;
        bool multi_line_on_ok = false;
    };
    enum class State { UnitStart, FirstLine, LineStart, MidLine, Dot, DotCr };

    std::deque<Pending> pending_;
    Pending current_;
    bool multi_line_ = false;
    State state_ = State::UnitStart;
};

}  // namespace mb::protocol::pop3
