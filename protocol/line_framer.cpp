// LineFramer implementation: scans only bytes not seen before, copies only a line that spans
// inputs, and gives back its memory when a large partial line has been delivered.
#include "protocol/line_framer.h"

#include <cstring>

namespace mb::protocol {

namespace {
constexpr std::size_t kKeepCapacity = 4096;
}

LineFramer::Outcome LineFramer::next(std::string_view input) {
    if (release_) {
        release_ = false;
        if (partial_.capacity() > kKeepCapacity)
            std::string().swap(partial_);
        else
            partial_.clear();
    }
    const void* found = input.empty() ? nullptr : std::memchr(input.data(), '\n', input.size());
    if (skipping_) {
        if (found == nullptr) return {Status::NeedMore, input.size(), {}, {}};
        skipping_ = false;
        const std::size_t skipped = static_cast<const char*>(found) - input.data() + 1;
        Outcome rest = next(input.substr(skipped));
        rest.consumed += skipped;
        return rest;
    }
    if (found == nullptr) {
        if (partial_.size() + input.size() > options_.max_line) {
            partial_.clear();
            skipping_ = true;
            return {Status::LineTooLong, input.size(), {}, {}};
        }
        partial_.append(input);
        return {Status::NeedMore, input.size(), {}, {}};
    }
    return finish_line(input, static_cast<const char*>(found) - input.data());
}

LineFramer::Outcome LineFramer::finish_line(std::string_view input, std::size_t lf_index) {
    const std::size_t consumed = lf_index + 1;
    if (partial_.size() + consumed > options_.max_line) {
        partial_.clear();
        return {Status::LineTooLong, consumed, {}, {}};
    }
    std::string_view raw;
    if (partial_.empty()) {
        raw = input.substr(0, consumed);
    } else {
        partial_.append(input.substr(0, consumed));
        raw = partial_;
        release_ = true;
    }
    const bool has_cr = raw.size() >= 2 && raw[raw.size() - 2] == '\r';
    if (!has_cr && options_.bare_lf == BareLf::Rejected) {
        partial_.clear();
        release_ = false;
        return {Status::BareLineFeed, consumed, {}, {}};
    }
    return {Status::Line, consumed, raw.substr(0, raw.size() - (has_cr ? 2 : 1)), raw};
}

}  // namespace mb::protocol
