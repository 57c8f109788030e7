// ImapLineMemo implementation: a fast 64-bit line hash, a mix of the facts the update depends on,
// one vector of fingerprints indexed by sequence number.
#include "bridge/session/imap_line_memo.h"

#include <algorithm>
#include <cstring>

namespace mb::session {

namespace {

// 64 bits of the 128-bit product, folded: the mixing step of the hash below.
std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) {
    __extension__ using Product = unsigned __int128;
    const Product product = static_cast<Product>(a) * b;
    return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// A fast 64-bit hash of a response line, eight bytes at a time: it is only compared with the
// hash of the line last seen for the same message, on the hot path of every FETCH response.
std::uint64_t line_hash(std::string_view line) {
    std::uint64_t hash = 0x9e3779b97f4a7c15ULL ^ line.size();
    std::size_t pos = 0;
    for (; pos + 8 <= line.size(); pos += 8) {
        std::uint64_t word;
        std::memcpy(&word, line.data() + pos, 8);
        hash = fold_multiply(hash ^ word, 0xa0761d6478bd642fULL);
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, line.data() + pos, line.size() - pos);
    return fold_multiply(hash ^ tail, 0xe7037ed1a0b428dbULL);
}

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) {
    hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
    return hash;
}

}  // namespace

std::optional<ImapLineMemo::FetchLine> ImapLineMemo::identify(std::string_view line) {
    if (line.size() < 10 || line[0] != '*' || line[1] != ' ') return std::nullopt;
    std::uint64_t sequence = 0;
    std::size_t pos = 2;
    while (pos < line.size() && line[pos] >= '0' && line[pos] <= '9' && pos < 12)
        sequence = sequence * 10 + static_cast<std::uint64_t>(line[pos++] - '0');
    if (pos == 2 || sequence == 0 || sequence > UINT32_MAX) return std::nullopt;
    if (line.substr(pos, 7) != " FETCH ") return std::nullopt;
    return FetchLine{static_cast<std::uint32_t>(sequence), line_hash(line)};
}

std::uint64_t ImapLineMemo::fingerprint(std::uint64_t line_hash, std::uint32_t uid,
                                        std::uint32_t uidvalidity, std::uint64_t generation) {
    const std::uint64_t fingerprint = mix(mix(mix(line_hash, uid), uidvalidity), generation);
    return fingerprint == 0 ? 1 : fingerprint;
}

void ImapLineMemo::remember(std::uint32_t sequence, std::uint64_t fingerprint,
                            std::size_t known_messages) {
    if (sequence == 0 || sequence > max_lines_) return;
    if (sequence > lines_.size()) lines_.resize(std::max<std::size_t>(sequence, known_messages), 0);
    lines_[sequence - 1] = fingerprint;
}

void ImapLineMemo::forget() {
    lines_.clear();
    if (lines_.capacity() > 4096) lines_.shrink_to_fit();
}

}  // namespace mb::session
