// Parser for the replies of an upstream SMTP server (RFC 5321 §4.2): one reply line at a time
// (`parse_reply_line`), and ReplyAssembler, which joins the lines of a multi-line reply
// ("250-…" … "250 …"), checks that every line carries the same code, and extracts the RFC 3463
// enhanced status code. Input lines come from a LineFramer (without CRLF). The assembler owns
// the text of the reply it is building, bounded by limits::kMaxReplyLines and kMaxReplyBytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace mb::protocol::smtp {

struct ReplyLine {
    int code = 0;
    bool last = true;       // "250 " or "250" ends a reply; "250-" continues it
    std::string_view text;  // after the separator; may be empty
};

// Accepts "NNN", "NNN text", "NNN-text" with the code in 200..599.
Result<ReplyLine> parse_reply_line(std::string_view line);

// RFC 3463 "class.subject.detail" (class 2, 4 or 5; subject and detail 1-3 digits) at the start
// of `text`, followed by a space or the end. Returns the code, or nullopt.
std::optional<std::string_view> enhanced_code_prefix(std::string_view text);

struct Reply {
    int code = 0;
    std::string enhanced;            // from the first line; empty when the server sends none
    std::vector<std::string> lines;  // the text of each line as sent, enhanced code included

    bool positive_completion() const { return code >= 200 && code < 300; }
    bool positive_intermediate() const { return code >= 300 && code < 400; }
    bool transient_failure() const { return code >= 400 && code < 500; }
    bool permanent_failure() const { return code >= 500; }
    // The lines' text without their enhanced codes, joined with single spaces (for logs and for
    // the text of a reply the bridge sends in the server's name).
    std::string text() const;
};

class ReplyAssembler {
  public:
    enum class Status { NeedMore, Complete, Error };
    struct Outcome {
        Status status = Status::NeedMore;
        std::string error;  // Error: what was wrong with the line
    };

    // Takes one reply line. After Complete, reply() holds the reply until the next call. After
    // Error the partial reply is dropped and the next line starts a new one (a session treats a
    // malformed upstream reply as fatal: 421 to the client, then close).
    Outcome add_line(std::string_view line);
    const Reply& reply() const { return reply_; }
    bool in_reply() const { return in_reply_; }

  private:
    Reply reply_;
    std::size_t bytes_ = 0;
    bool in_reply_ = false;
};

}  // namespace mb::protocol::smtp
