// Per route (account, upstream, proxy) login backoff (see upstream_backoff.h).
#include "bridge/session/upstream_backoff.h"

#include <algorithm>
#include <cctype>
#include <random>

namespace mb::session {

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

UpstreamBackoff::UpstreamBackoff(Jitter jitter, Millis longest)
    : jitter_(std::move(jitter)), longest_(std::max(longest, kFirstDelay)) {
    if (!jitter_) {
        jitter_ = [engine = std::minstd_rand(std::random_device{}())]() mutable {
            return std::uniform_real_distribution<double>(0.75, 1.25)(engine);
        };
    }
}

std::string UpstreamBackoff::Route::describe() const {
    return account + " to " + upstream + (proxy.empty() ? " direct" : " through proxy " + proxy);
}

std::optional<UpstreamBackoff::Blocked> UpstreamBackoff::blocked(const Route& route,
                                                                 Clock::time_point now) const {
    auto it = entries_.find(route);
    if (it == entries_.end() || now >= it->second.retry_at) return std::nullopt;
    return Blocked{std::chrono::ceil<Millis>(it->second.retry_at - now), it->second.failures,
                   it->second.last_error};
}

bool UpstreamBackoff::route_blocked(const std::string& upstream, const std::string& proxy,
                                    Clock::time_point now) const {
    return std::any_of(entries_.begin(), entries_.end(), [&](const auto& entry) {
        return entry.first.upstream == upstream && entry.first.proxy == proxy &&
               now < entry.second.retry_at;
    });
}

UpstreamBackoff::Millis UpstreamBackoff::failure(const Route& route, std::string error,
                                                 Clock::time_point now, Millis suggested) {
    Entry& entry = entries_[route];
    entry.failures = std::min(entry.failures + 1, 1000);
    const int doublings = std::min(entry.failures - 1, 12);  // 1 s · 2^12 ≥ the largest cap
    const double base =
        std::min<double>(static_cast<double>(kFirstDelay.count()) * (1 << doublings),
                         static_cast<double>(longest_.count()));
    const double factor = std::clamp(jitter_(), 0.75, 1.25);
    const auto delay =
        std::clamp(std::max(Millis(static_cast<std::int64_t>(base * factor)), suggested),
                   kFirstDelay, longest_);
    entry.retry_at = now + delay;
    entry.last_error = std::move(error);
    return delay;
}

bool UpstreamBackoff::success(const Route& route) {
    return entries_.erase(route) > 0;
}

int UpstreamBackoff::failures(const Route& route) const {
    auto it = entries_.find(route);
    return it == entries_.end() ? 0 : it->second.failures;
}

std::vector<UpstreamBackoff::State> UpstreamBackoff::states(Clock::time_point now) const {
    std::vector<State> out;
    for (const auto& [key, entry] : entries_) {
        State state{key, entry.failures, Millis(0), entry.last_error};
        if (now < entry.retry_at) state.remaining = std::chrono::ceil<Millis>(entry.retry_at - now);
        out.push_back(std::move(state));
    }
    return out;
}

bool is_throttling_answer(const std::string& response_code, const std::string& text) {
    const std::string code = lower(response_code);
    if (code == "unavailable" || code == "sys/temp" || code == "in-use" || code == "421" ||
        code.rfind("4", 0) == 0)
        return true;
    const std::string words = lower(text);
    return words.find("throttl") != std::string::npos ||
           words.find("try again later") != std::string::npos ||
           words.find("too many") != std::string::npos;
}

}  // namespace mb::session
