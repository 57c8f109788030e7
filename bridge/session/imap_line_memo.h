// ImapLineMemo: remembers, per sequence number, a fingerprint of the last one-line FETCH response
// the cache observer handed to the cache, so that the same response seen again (clients poll the
// same FLAGS over and over) can be passed over unparsed while the cache has not moved. It holds
// 8 bytes per remembered message, up to max_lines; the owner forgets everything whenever sequence
// numbers move or the selection changes. Pure; owned by one ImapCacheObserver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mb::session {

class ImapLineMemo {
  public:
    // A one-line "* N FETCH …" response, identified.
    struct FetchLine {
        std::uint32_t sequence = 0;
        std::uint64_t hash = 0;  // of the whole line, CRLF included
    };
    // nullopt for any line that is not a "* N FETCH " response.
    static std::optional<FetchLine> identify(std::string_view line);
    // What makes a line produce the same cache update again: its bytes (hashed), the UID its
    // sequence number maps to, the mailbox's UIDVALIDITY and the cache's generation. Never 0.
    static std::uint64_t fingerprint(std::uint64_t line_hash, std::uint32_t uid,
                                     std::uint32_t uidvalidity, std::uint64_t generation);

    explicit ImapLineMemo(std::size_t max_lines) : max_lines_(max_lines) {}

    // The fingerprint remembered for `sequence`; 0 when none.
    std::uint64_t remembered(std::uint32_t sequence) const {
        return sequence != 0 && sequence <= lines_.size() ? lines_[sequence - 1] : 0;
    }
    // Remembers `fingerprint` for `sequence` (nothing past max_lines). `known_messages` sizes the
    // memo for the mailbox at once rather than growing it one message at a time.
    void remember(std::uint32_t sequence, std::uint64_t fingerprint, std::size_t known_messages);
    void forget();

  private:
    std::size_t max_lines_;
    std::vector<std::uint64_t> lines_;  // index = sequence - 1; 0 = none
};

}  // namespace mb::session
