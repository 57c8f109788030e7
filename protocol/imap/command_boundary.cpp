// CommandBoundary (see command_boundary.h).
#include "protocol/imap/command_boundary.h"

#include <algorithm>

namespace mb::protocol::imap {

namespace {

constexpr std::size_t kTailBytes = 32;  // "{" + up to 20 digits + "+}" + "\r" fits
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

// A line ended: "… {N}" or "… {N+}" (CR optional) announces N literal bytes, else the command
// is complete.
void CommandBoundary::end_of_line() {
    std::string_view line = tail_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::uint64_t literal = 0;
    bool is_literal = false;
    if (!line.empty() && line.back() == '}') {
        line.remove_suffix(1);
        if (!line.empty() && line.back() == '+') line.remove_suffix(1);
        std::size_t digits = 0;
        while (digits < line.size() && line[line.size() - 1 - digits] >= '0' &&
               line[line.size() - 1 - digits] <= '9')
            ++digits;
        if (digits > 0 && digits <= 19 && digits < line.size() &&
            line[line.size() - 1 - digits] == '{') {
            for (char c : line.substr(line.size() - digits))
                literal = literal * 10 + static_cast<std::uint64_t>(c - '0');
            is_literal = true;
        }
    }
    tail_.clear();
    if (is_literal && literal > 0) {
        literal_left_ = std::min(literal, kMaxLiteral);
        at_line_start_ = false;
    } else {
        at_line_start_ = !is_literal;
    }
}

}  // namespace mb::protocol::imap
