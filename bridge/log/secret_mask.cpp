// The indexed masking of SecretMask (see secret_mask.h).
#include "bridge/log/secret_mask.h"

#include <algorithm>
#include <cstring>

namespace mb::log {

uint32_t SecretMask::window(const char* p) {
    uint32_t key;
    std::memcpy(&key, p, sizeof key);
    return key;
}

void SecretMask::add(std::string_view value) {
    if (value.size() < kMinLength) return;
    auto [it, inserted] = counts_.try_emplace(std::string(value), 0);
    ++it->second;
    if (!inserted) return;
    const uint32_t key = window(it->first.data());
    auto& bucket = buckets_[key];
    bucket.insert(std::upper_bound(bucket.begin(), bucket.end(), &it->first,
                                   [](const std::string* a, const std::string* b) {
                                       return a->size() > b->size();
                                   }),
                  &it->first);
    first_pairs_.set(key & 0xFFFF);
}

void SecretMask::remove(std::string_view value) {
    if (value.size() < kMinLength) return;
    auto it = counts_.find(std::string(value));
    if (it == counts_.end() || --it->second > 0) return;
    const uint32_t key = window(it->first.data());
    auto& bucket = buckets_[key];
    std::erase(bucket, &it->first);
    counts_.erase(it);
    // The first-pair bit stays set: a stale bit only costs a failed bucket probe.
    if (bucket.empty()) buckets_.erase(key);
}

std::string SecretMask::apply(std::string_view text) const {
    if (counts_.empty() || text.size() < kMinLength) return std::string(text);
    // Every byte covered by some value is masked: overlapping or adjacent occurrences merge into
    // one "***", so no value is left partly readable because another one started before it.
    std::string out;
    std::size_t copied = 0;        // text[copied, …) is still to be copied
    std::size_t masked_until = 0;  // end of the current run of masked bytes
    bool in_run = false;
    for (std::size_t i = 0; i + kMinLength <= text.size(); ++i) {
        const char* p = text.data() + i;
        uint16_t pair;
        std::memcpy(&pair, p, sizeof pair);
        if (!first_pairs_.test(pair)) continue;
        auto bucket = buckets_.find(window(p));
        if (bucket == buckets_.end()) continue;
        for (const std::string* value : bucket->second) {
            if (value->size() > text.size() - i ||
                std::memcmp(value->data(), p, value->size()) != 0)
                continue;
            // Longest first: the first hit is the longest value starting here.
            if (in_run && i <= masked_until) {
                masked_until = std::max(masked_until, i + value->size());
            } else {
                if (in_run) copied = masked_until;
                out.append(text.substr(copied, i - copied));
                out.append("***");
                masked_until = i + value->size();
                in_run = true;
            }
            break;
        }
    }
    if (in_run) copied = masked_until;
    out.append(text.substr(copied));
    return out;
}

}  // namespace mb::log
