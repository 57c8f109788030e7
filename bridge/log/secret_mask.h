// SecretMask: the set of secret values the log masks, and the masking itself. A value is indexed
// by its first four bytes, so masking a line costs a table probe per byte of the line, however
// many values were ever registered; only values sharing a line's 4-byte window are compared.
// Values are reference-counted: registering one twice and forgetting it once keeps it masked.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mb::log {

class SecretMask {
  public:
    static constexpr std::size_t kMinLength = 4;  // shorter values are ignored

    void add(std::string_view value);
    void remove(std::string_view value);
    // Each occurrence of a value becomes "***"; where values overlap, the longest one starting
    // leftmost wins.
    std::string apply(std::string_view text) const;
    std::size_t size() const { return counts_.size(); }

  private:
    static uint32_t window(const char* p);

    std::unordered_map<std::string, std::size_t> counts_;
    // First four bytes → the values starting with them, longest first.
    std::unordered_map<uint32_t, std::vector<const std::string*>> buckets_;
    // A cheap first test on the first two bytes before the bucket probe.
    std::bitset<65536> first_pairs_;
};

}  // namespace mb::log
