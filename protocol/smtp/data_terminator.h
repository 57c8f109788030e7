// DataTerminator: finds the end of an SMTP DATA body ("CRLF.CRLF", RFC 5321 §4.1.1.4) in the
// client→server stream, across any chunk boundaries and without copying: it reports how many
// bytes of each chunk belong to the body (terminator included), so the session forwards exactly
// those bytes upstream and hands the rest back to its command framer. Dot-stuffed lines pass
// unchanged. The body starts at a line start, so ".\r\n" at once is an empty message.
// SMTP smuggling defence: a bare LF, or a CR not followed by LF, stops the scan before the
// offending byte, so nothing a receiving server might read as an end of data is ever forwarded.
// Holds a few bytes of state; owns no buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mb::protocol::smtp {

class DataTerminator {
  public:
    enum class Status {
        InBody,             // every byte of the chunk is body; feed the next chunk
        Complete,           // the terminator ended within the chunk; `consumed` includes it
        BareLineFeed,       // a LF without CR; `consumed` stops before it
        BareCarriageReturn  // a CR followed by something other than LF; `consumed` stops before
                            // that byte
    };
    struct Outcome {
        Status status = Status::InBody;
        std::size_t consumed = 0;  // bytes of the chunk that belong to the body
    };

    // Scans `chunk`. After Complete, BareLineFeed or BareCarriageReturn every further call
    // repeats that status with consumed = 0, until reset().
    Outcome scan(std::string_view chunk);

    // Body bytes taken so far, terminator included (for a SIZE check).
    std::uint64_t body_bytes() const { return body_bytes_; }

    // Prepares for the next message.
    void reset();

  private:
    enum class State { LineStart, MidLine, Cr, Dot, DotCr, Done };
    State state_ = State::LineStart;
    Status final_ = Status::InBody;
    std::uint64_t body_bytes_ = 0;
};

}  // namespace mb::protocol::smtp
