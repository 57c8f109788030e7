// CommandBoundary (see command_boundary.h).
#include "protocol/imap/command_boundary.h"

#include <algorithm>

#include "protocol/imap/lexer.h"

namespace mb::protocol::imap {

namespace {

constexpr std::size_t kTailBytes = 32;  // "~{" + up to 20 digits + "+}" + "\r" fits
constexpr std::uint64_t kMaxLiteral = 1ULL << 62;

}  // namespace

void CommandBoundary::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        if (literal_left_ > 0) {
            const auto skip =
                static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, bytes.size()));
            literal_left_ -= skip;
            bytes.remove_prefix(skip);
            continue;  // after a literal the command line goes on
        }
        at_line_start_ = false;
        const std::size_t newline = bytes.find('\n');
        const std::string_view part =
            bytes.substr(0, newline == std::string_view::npos ? bytes.size() : newline);
        tail_.append(part.substr(part.size() > kTailBytes ? part.size() - kTailBytes : 0));
        if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
        if (newline == std::string_view::npos) return;
        bytes.remove_prefix(newline + 1);
        end_of_line();
    }
}

// A line ended: one that announces a literal ({N}, {N+}, ~{N}; read by the lexer) goes on after
// N bytes, any other (a malformed announcement too: the server will not wait for its bytes)
// completes the command.
void CommandBoundary::end_of_line() {
    const LiteralScan scan = scan_literal_announcement(tail_, UINT64_MAX);
    tail_.clear();
    if (!scan.header) {
        at_line_start_ = true;
        return;
    }
    literal_left_ = std::min(scan.header->size, kMaxLiteral);
    at_line_start_ = false;
}

}  // namespace mb::protocol::imap
