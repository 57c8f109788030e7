// DataTerminator: a five-state scan over the body bytes. Runs of ordinary bytes are skipped with
// memchr for CR and LF, so long lines cost little.
#include "protocol/smtp/data_terminator.h"

#include <cstring>

namespace mb::protocol::smtp {

DataTerminator::Outcome DataTerminator::scan(std::string_view chunk) {
    if (state_ == State::Done) return {final_, 0};
    std::size_t i = 0;
    const std::size_t n = chunk.size();
    while (i < n) {
        const char c = chunk[i];
        switch (state_) {
            case State::MidLine: {
                const char* from = chunk.data() + i;
                const void* cr = std::memchr(from, '\r', n - i);
                const void* lf = std::memchr(from, '\n', n - i);
                const char* stop = static_cast<const char*>(cr);
                if (lf != nullptr && (stop == nullptr || static_cast<const char*>(lf) < stop))
                    stop = static_cast<const char*>(lf);
                if (stop == nullptr) {
                    i = n;
                    continue;
                }
                i = static_cast<std::size_t>(stop - chunk.data());
                if (*stop == '\n') {
                    final_ = Status::BareLineFeed;
                    break;
                }
                state_ = State::Cr;
                ++i;
                continue;
            }
            case State::LineStart:
                if (c == '\n') {
                    final_ = Status::BareLineFeed;
                    break;
                }
                state_ = c == '.' ? State::Dot : c == '\r' ? State::Cr : State::MidLine;
                ++i;
                continue;
            case State::Dot:
                if (c == '\n') {
                    final_ = Status::BareLineFeed;
                    break;
                }
                state_ = c == '\r' ? State::DotCr : State::MidLine;
                ++i;
                continue;
            case State::Cr:
            case State::DotCr:
                if (c != '\n') {
                    final_ = Status::BareCarriageReturn;
                    break;
                }
                ++i;
                if (state_ == State::DotCr) {
                    final_ = Status::Complete;
                    break;
                }
                state_ = State::LineStart;
                continue;
            case State::Done:
                break;
        }
        break;
    }
    body_bytes_ += i;
    if (final_ != Status::InBody) state_ = State::Done;
    return {final_, i};
}

void DataTerminator::reset() {
    state_ = State::LineStart;
    final_ = Status::InBody;
    body_bytes_ = 0;
}

}  // namespace mb::protocol::smtp
