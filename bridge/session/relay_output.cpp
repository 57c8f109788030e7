// RelayOutput: see relay_output.h.
#include "bridge/session/relay_output.h"

#include <functional>

namespace mb::session {

namespace {
// A copy buffer grown past this (a long rewritten or held line) is freed at the next reset, so an
// idle session keeps no traffic-sized buffer.
constexpr std::size_t kKeptCopyCapacity = 16 * 1024;
}  // namespace

void RelayOutput::reset(std::string_view input) {
    input_ = input;
    if (copies_.capacity() > kKeptCopyCapacity) {
        std::string().swap(copies_);
    } else {
        copies_.clear();
    }
    pieces_.clear();
    size_ = 0;
    held_ = 0;
}

void RelayOutput::discard() {
    if (collect_ != nullptr) collect_->resize(collect_start_);
    copies_.clear();
    pieces_.clear();
    size_ = 0;
}

bool RelayOutput::within_input(std::string_view bytes) const {
    // std::less gives a total order over pointers into unrelated objects.
    const std::less<const char*> before;
    const char* begin = input_.data();
    const char* end = begin + input_.size();
    return begin != nullptr && !before(bytes.data(), begin) &&
           !before(end, bytes.data() + bytes.size());
}

void RelayOutput::append(std::string_view bytes) {
    if (bytes.empty()) return;
    size_ += bytes.size();
    if (collect_ != nullptr) {
        collect_->append(bytes);
        return;
    }
    Piece* last = pieces_.empty() ? nullptr : &pieces_.back();
    if (within_input(bytes)) {
        if (last != nullptr && !last->copied && last->data + last->length == bytes.data()) {
            last->length += bytes.size();
        } else {
            pieces_.push_back({false, bytes.data(), 0, bytes.size()});
        }
        return;
    }
    if (last != nullptr && last->copied && last->offset + last->length == copies_.size()) {
        last->length += bytes.size();
    } else {
        pieces_.push_back({true, nullptr, copies_.size(), bytes.size()});
    }
    copies_.append(bytes);
}

std::span<const std::string_view> RelayOutput::pieces() {
    views_.clear();
    for (const Piece& piece : pieces_) {
        views_.emplace_back(piece.copied ? copies_.data() + piece.offset : piece.data,
                            piece.length);
    }
    return views_;
}

std::string RelayOutput::str() {
    std::string all;
    all.reserve(size_);
    for (std::string_view piece : pieces()) all.append(piece);
    return all;
}

}  // namespace mb::session
