// LineFramer: bounded CRLF framing shared by the text protocols (IMAP before login, POP3, SMTP,
// HTTP headers). Sans-I/O: the caller feeds received bytes and gets one complete line at a time.
// The framer owns only the partial line it must keep between feeds (never more than max_line);
// it never consumes past a line end, so a caller can switch to counted bytes (a literal, SMTP
// DATA) by taking the rest of its buffer from the returned offset on.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/limits.h"

namespace mb::protocol {

class LineFramer {
  public:
    enum class BareLf {
        Terminates,  // a LF without CR ends a line (lenient clients)
        Rejected,    // a LF without CR is an error (SMTP smuggling defence)
    };
    struct Options {
        std::size_t max_line = limits::kMaxLineLength;  // including the line terminator
        BareLf bare_lf = BareLf::Terminates;
    };

    enum class Status {
        Line,         // `line`/`raw` hold one complete line
        NeedMore,     // all input was taken; feed more bytes
        LineTooLong,  // the line passed max_line; the rest of it will be skipped
        BareLineFeed  // a LF without CR arrived and bare_lf is Rejected; the line is dropped
    };
    struct Outcome {
        Status status = Status::NeedMore;
        std::size_t consumed = 0;  // bytes of the input taken by this call
        std::string_view line;     // the line without its terminator (Status::Line only)
        std::string_view raw;      // the line with its terminator (Status::Line only)
    };

    LineFramer() = default;
    explicit LineFramer(Options options) : options_(options) {}

    // Takes bytes from `input` up to the end of the next line. The views in the outcome point into
    // `input` or into the framer and stay valid until the next call. After LineTooLong, further
    // calls discard bytes until the overlong line ends, then frame normally again.
    Outcome next(std::string_view input);

    // True when no partial line is held: the next byte starts a line, so the caller may hand the
    // following bytes to another consumer (counted bytes mode).
    bool at_line_start() const { return partial_.empty() && !skipping_; }

    void set_max_line(std::size_t max_line) { options_.max_line = max_line; }
    const Options& options() const { return options_; }

  private:
    Outcome finish_line(std::string_view input, std::size_t lf_index);

    Options options_;
    std::string partial_;    // bytes of a line that began in an earlier input
    bool release_ = false;   // partial_ holds a returned line; clear it on the next call
    bool skipping_ = false;  // discarding the rest of an overlong line
};

}  // namespace mb::protocol
