// ResponseTracker: a small state machine over the server bytes; runs inside lines are skipped with
// memchr, so message bodies cost little.
#include "protocol/pop3/response_tracker.h"

#include <cstring>

#include "protocol/pop3/limits.h"
#include "protocol/pop3/syntax.h"

namespace mb::protocol::pop3 {

namespace {
// Keyword bytes kept per outstanding command (POP3 keywords have 3-4 letters).
constexpr std::size_t kMaxKeptKeyword = 15;

bool has_argument(std::string_view line) {
    const std::size_t space = line.find(' ');
    return space != std::string_view::npos &&
           line.find_first_not_of(' ', space) != std::string_view::npos;
}
}  // namespace

bool ResponseTracker::can_send_command() const {
    return pending_.size() < limits::kMaxPendingCommands;
}

Result<void> ResponseTracker::command_sent(std::string_view command_line) {
    if (!can_send_command())
        return make_error("too many POP3 commands await a response; read responses first");
    Pending pending;
    pending.command = to_upper(first_word(command_line).substr(0, kMaxKeptKeyword));
    const std::string& name = pending.command;
    pending.multi_line_on_ok =
        name == "CAPA" || name == "RETR" || name == "TOP" ||
        ((name == "LIST" || name == "UIDL" || name == "AUTH") && !has_argument(command_line));
    pending_.push_back(std::move(pending));
    return {};
}

ResponseEvent ResponseTracker::next(std::string_view input) {
    ResponseEvent event;
    if (input.empty()) return event;
    event.kind = ResponseEvent::Kind::Bytes;
    if (state_ == State::UnitStart) {
        if (pending_.empty()) {
            current_ = Pending{};
        } else {
            current_ = std::move(pending_.front());
            pending_.pop_front();
        }
        multi_line_ = current_.multi_line_on_ok && input.front() == '+';
        state_ = State::FirstLine;
        event.starts_unit = true;
    }
    event.multi_line = multi_line_;
    event.command = current_.command;

    const std::size_t n = input.size();
    std::size_t i = 0;
    bool ended = false;
    while (i < n && !ended) {
        const char c = input[i];
        switch (state_) {
            case State::FirstLine:
            case State::MidLine: {
                const void* lf = std::memchr(input.data() + i, '\n', n - i);
                if (lf == nullptr) {
                    i = n;
                    break;
                }
                i = static_cast<std::size_t>(static_cast<const char*>(lf) - input.data()) + 1;
                if (state_ == State::FirstLine && !multi_line_)
                    ended = true;
                else
                    state_ = State::LineStart;
                break;
            }
            case State::LineStart:
                ++i;
                if (c == '.')
                    state_ = State::Dot;
                else if (c != '\n')
                    state_ = State::MidLine;
                break;
            case State::Dot:
                ++i;
                if (c == '\n')
                    ended = true;
                else
                    state_ = c == '\r' ? State::DotCr : State::MidLine;
                break;
            case State::DotCr:
                if (c == '\n') {
                    ++i;
                    ended = true;
                } else {
                    state_ = State::MidLine;
                }
                break;
            case State::UnitStart:
                break;
        }
    }
    if (ended) {
        state_ = State::UnitStart;
        event.ends_unit = true;
    }
    event.consumed = i;
    event.bytes = input.substr(0, i);
    return event;
}

}  // namespace mb::protocol::pop3
