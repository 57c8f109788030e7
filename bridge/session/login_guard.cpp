// The blocks and early-dial caps of LoginGuard (see login_guard.h).
#include "bridge/session/login_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <iterator>

namespace mb::session {
namespace {

std::string login_key(std::string_view login) {
    std::string key = "l:";
    for (char c : login) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

}  // namespace

LoginGuard::LoginGuard(Settings settings)
    : settings_(settings), self_(std::make_shared<LoginGuard*>(this)) {}

LoginGuard::~LoginGuard() {
    *self_ = nullptr;
}

LoginGuard::DialTicket::~DialTicket() {
    auto guard = guard_.lock();
    if (guard && *guard) (*guard)->release_dial(address_);
}

std::string LoginGuard::address_of(std::string_view peer) {
    if (peer.starts_with('[')) {
        const auto close = peer.find(']');
        const std::string v6(
            peer.substr(1, close == std::string_view::npos ? peer.size() - 1 : close - 1));
        // An IPv6 client may pick any address of its /64: count the /64.
        in6_addr address{};
        if (inet_pton(AF_INET6, v6.c_str(), &address) != 1) return v6;
        char text[INET6_ADDRSTRLEN] = {};
        if (IN6_IS_ADDR_V4MAPPED(&address)) {  // an IPv4 client of a "::" listener
            inet_ntop(AF_INET, &address.s6_addr[12], text, sizeof text);
            return text;
        }
        if (IN6_IS_ADDR_LOOPBACK(&address)) return "::1";
        std::fill(std::begin(address.s6_addr) + 8, std::end(address.s6_addr), 0);
        inet_ntop(AF_INET6, &address, text, sizeof text);
        return std::string(text) + "/64";
    }
    const auto colon = peer.rfind(':');
    return std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
}

std::chrono::milliseconds LoginGuard::delay_for(int failures) const {
    if (failures <= 0 || settings_.longest_delay.count() <= 0) return std::chrono::milliseconds(0);
    auto delay = settings_.first_delay;
    for (int i = 1; i < failures && delay < settings_.longest_delay; ++i) delay *= 2;
    return std::min(delay, settings_.longest_delay);
}

LoginGuard::Key* LoginGuard::find(const std::string& key, Clock::time_point now) {
    auto it = keys_.find(key);
    if (it == keys_.end()) return nullptr;
    if (now - it->second.last_failure > settings_.forget_after) {
        keys_.erase(it);
        return nullptr;
    }
    return &it->second;
}

std::optional<LoginGuard::Refusal> LoginGuard::blocked(const std::string& address,
                                                       const std::string& login,
                                                       Clock::time_point now) {
    if (settings_.longest_delay.count() <= 0) return std::nullopt;
    Key* by_address = find("a:" + address, now);
    if (by_address && by_address->blocked_until > now)
        return Refusal{
            std::chrono::ceil<std::chrono::milliseconds>(by_address->blocked_until - now), true};
    // An address with recent wrong passwords gets one check at a time: parallel connections
    // would otherwise all pass before the first verdict arrives.
    if (by_address) {
        auto checking = checks_.find(address);
        if (checking != checks_.end() && checking->second > 0)
            return Refusal{std::chrono::milliseconds(1000), true};
    }
    if (Key* key = find(login_key(login), now); key && key->blocked_until > now)
        return Refusal{std::chrono::ceil<std::chrono::milliseconds>(key->blocked_until - now),
                       false};
    return std::nullopt;
}

void LoginGuard::record_failure(const std::string& key, int threshold, Clock::time_point now) {
    if (keys_.size() >= settings_.max_keys && !keys_.contains(key)) {
        auto oldest =
            std::min_element(keys_.begin(), keys_.end(), [](const auto& a, const auto& b) {
                return a.second.last_failure < b.second.last_failure;
            });
        if (oldest != keys_.end()) keys_.erase(oldest);
    }
    Key* existing = find(key, now);
    Key& entry = existing ? *existing : keys_[key];
    ++entry.failures;
    entry.last_failure = now;
    const int counted = entry.failures - threshold;
    if (counted > 0) entry.blocked_until = std::max(entry.blocked_until, now + delay_for(counted));
}

void LoginGuard::failed(const std::string& address, const std::string& login,
                        Clock::time_point now) {
    record_failure("a:" + address, 0, now);
    record_failure(login_key(login), settings_.login_failures_before_block, now);
}

void LoginGuard::succeeded(const std::string& login) {
    keys_.erase(login_key(login));
}

std::unique_ptr<LoginGuard::CheckTicket> LoginGuard::start_check(const std::string& address) {
    ++checks_[address];
    return std::make_unique<CheckTicket>(self_, address);
}

LoginGuard::CheckTicket::~CheckTicket() {
    auto guard = guard_.lock();
    if (!guard || !*guard) return;
    auto& checks = (*guard)->checks_;
    auto it = checks.find(address_);
    if (it != checks.end() && --it->second <= 0) checks.erase(it);
}

std::unique_ptr<LoginGuard::DialTicket> LoginGuard::early_dial(const std::string& address,
                                                               Clock::time_point now) {
    if (find("a:" + address, now)) return nullptr;  // recent wrong passwords from there
    if (early_dials_total_ >= settings_.early_dials_total) return nullptr;
    int& mine = early_dials_[address];
    if (mine >= settings_.early_dials_per_address) return nullptr;
    ++mine;
    ++early_dials_total_;
    return std::make_unique<DialTicket>(self_, address);
}

void LoginGuard::release_dial(const std::string& address) {
    auto it = early_dials_.find(address);
    if (it == early_dials_.end()) return;
    --early_dials_total_;
    if (--it->second <= 0) early_dials_.erase(it);
}

}  // namespace mb::session
