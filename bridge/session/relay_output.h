// RelayOutput: what a relay filter produces from one chunk, without copying what it passes
// through. Bytes appended from inside the chunk being filtered are kept as views of it; anything
// else (rewritten text, a line the filter held from an earlier chunk) is copied into a buffer the
// output reuses. The Relay hands the pieces to the sink in one vectored write. A filter also
// reports how many bytes it holds back (a partial line), which the Relay's backpressure counts.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb::session {

class RelayOutput {
  public:
    RelayOutput() = default;
    // Every byte appended is copied into `collect` at once (tests, and callers that want a string).
    explicit RelayOutput(std::string& collect)
        : collect_(&collect), collect_start_(collect.size()) {}
    RelayOutput(const RelayOutput&) = delete;
    RelayOutput& operator=(const RelayOutput&) = delete;

    // Starts the output of a filter call over `input` (which must outlive the pieces).
    void reset(std::string_view input);

    // Bytes for the sink, in order. A view of the current input is kept as a view; other bytes
    // are copied. Empty bytes are ignored.
    void append(std::string_view bytes);

    // Drops everything appended since reset() (or construction): none of it may be sent.
    void discard();

    // Bytes of input the filter holds after this call and has not output (0 unless it says so).
    void set_held(std::size_t bytes) { held_ = bytes; }
    std::size_t held() const { return held_; }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // The output as views, adjacent ones merged; valid until the next reset() or append().
    std::span<const std::string_view> pieces();
    // A copy of the whole output (tests).
    std::string str();

  private:
    struct Piece {
        bool copied = false;  // in copies_ at offset; else a view at data
        const char* data = nullptr;
        std::size_t offset = 0;
        std::size_t length = 0;
    };
    bool within_input(std::string_view bytes) const;

    std::string* collect_ = nullptr;
    std::size_t collect_start_ = 0;
    std::string_view input_;
    std::string copies_;
    std::vector<Piece> pieces_;
    std::vector<std::string_view> views_;
    std::size_t size_ = 0;
    std::size_t held_ = 0;
};

}  // namespace mb::session
