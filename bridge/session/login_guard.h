// LoginGuard: the daemon's defence against local password guessing, shared by every listener.
// After a wrong local password the client's address is blocked for a delay that doubles with each
// further wrong password (1 s … 30 s), and so is the login once it collects failures from more
// than one try; attempts while blocked are refused at once with the protocol's normal "no",
// without checking the password or touching the upstream. A quiet period forgets a key. It also
// caps the upstream connections opened early for clients that have not logged in yet (in all and
// per address, none for an address with recent failures). An address with recent failures gets
// one password check at a time. Loop thread only; time is passed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mb::session {

class LoginGuard {
  public:
    using Clock = std::chrono::steady_clock;

    struct Settings {
        std::chrono::milliseconds first_delay{1000};
        std::chrono::milliseconds longest_delay{30000};
        std::chrono::seconds forget_after{900};  // quiet time after which failures are forgotten
        int login_failures_before_block = 3;     // a login's own block starts after this many
        std::size_t max_keys = 100000;           // the oldest are forgotten past this
        int early_dials_total = 64;              // upstream connections for not-logged-in clients
        int early_dials_per_address = 8;         // local clients often share one address
    };

    // Held while an early upstream connection is open; gives its place back when destroyed.
    class DialTicket {
      public:
        DialTicket(std::weak_ptr<LoginGuard*> guard, std::string address)
            : guard_(std::move(guard)), address_(std::move(address)) {}
        ~DialTicket();
        DialTicket(const DialTicket&) = delete;
        DialTicket& operator=(const DialTicket&) = delete;

      private:
        std::weak_ptr<LoginGuard*> guard_;
        std::string address_;
    };

    struct Refusal {
        std::chrono::milliseconds remaining;  // until the block ends
        bool by_address = true;               // else: the login is blocked
    };

    explicit LoginGuard(Settings settings);
    // [daemon] failed_login_block_max: the longest block; zero turns blocking off (failures are
    // still counted for the early-dial rule).
    void set_longest_delay(std::chrono::milliseconds longest) { settings_.longest_delay = longest; }
    LoginGuard() : LoginGuard(Settings{}) {}
    ~LoginGuard();
    LoginGuard(const LoginGuard&) = delete;
    LoginGuard& operator=(const LoginGuard&) = delete;

    // The address part of a peer ("127.0.0.1:5000" → "127.0.0.1"; IPv6 keyed by its /64).
    static std::string address_of(std::string_view peer);

    // Before a password is checked: nullopt = go ahead; otherwise refuse without checking.
    std::optional<Refusal> blocked(const std::string& address, const std::string& login,
                                   Clock::time_point now);
    // A checked password was wrong.
    void failed(const std::string& address, const std::string& login, Clock::time_point now);
    // A checked password was right: the login's own failures are forgotten (not the address's).
    void succeeded(const std::string& login);
    // Held while a password check from an address is under way.
    class CheckTicket {
      public:
        CheckTicket(std::weak_ptr<LoginGuard*> guard, std::string address)
            : guard_(std::move(guard)), address_(std::move(address)) {}
        ~CheckTicket();
        CheckTicket(const CheckTicket&) = delete;
        CheckTicket& operator=(const CheckTicket&) = delete;

      private:
        std::weak_ptr<LoginGuard*> guard_;
        std::string address_;
    };
    std::unique_ptr<CheckTicket> start_check(const std::string& address);

    // An early upstream connection for a client of `address` that has not logged in: a ticket
    // while within the caps, else null (the upstream is then dialled after the password check).
    std::unique_ptr<DialTicket> early_dial(const std::string& address, Clock::time_point now);
    int early_dials() const { return early_dials_total_; }
    std::size_t tracked_keys() const { return keys_.size(); }

  private:
    struct Key {
        int failures = 0;
        Clock::time_point blocked_until{};
        Clock::time_point last_failure{};
    };
    Key* find(const std::string& key, Clock::time_point now);
    void record_failure(const std::string& key, int threshold, Clock::time_point now);
    std::chrono::milliseconds delay_for(int failures) const;
    void release_dial(const std::string& address);

    Settings settings_;
    std::unordered_map<std::string, Key> keys_;  // "a:ADDRESS" and "l:login"
    std::unordered_map<std::string, int> early_dials_;
    std::unordered_map<std::string, int> checks_;  // password checks under way, per address
    int early_dials_total_ = 0;
    std::shared_ptr<LoginGuard*> self_;
};

}  // namespace mb::session
