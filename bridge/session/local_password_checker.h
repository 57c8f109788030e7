// LocalPasswordChecker: verifies the password a local client presents against its account's
// local_password, off the event loop (scrypt, secret files and commands run on libuv's worker
// pool), and remembers successful checks in memory so that later logins cost a hash lookup.
// One per config generation (a reload makes a new one, forgetting old verdicts). The owner of a
// Check handle may destroy it at any time: the callback then never runs.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "bridge/config/config_model.h"
#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::session {

class LocalPasswordChecker {
  public:
    // ok(true) = accepted, ok(false) = wrong password, error = the check itself failed (the
    // message says what to fix, e.g. a malformed hash or an unreadable secret file).
    using Done = std::function<void(Result<bool>)>;
    struct Pending;
    using Check = std::shared_ptr<Pending>;

    explicit LocalPasswordChecker(uv_loop_t* loop);
    ~LocalPasswordChecker();
    LocalPasswordChecker(const LocalPasswordChecker&) = delete;
    LocalPasswordChecker& operator=(const LocalPasswordChecker&) = delete;

    // The callback always runs from a later loop turn (never inside check()).
    [[nodiscard]] Check check(const config::AccountSettings& account, const std::string& login,
                              const Secret& password, Done done);

    std::size_t remembered() const { return verified_.size(); }
    // A reload: remembered verdicts are dropped, and checks under way are not remembered.
    void forget_verdicts() {
        verified_.clear();
        ++generation_;
    }

  private:
    struct Job;
    static void work(uv_work_t* req);
    static void after(uv_work_t* req, int status);
    std::string cache_key(const config::AccountSettings& account, const std::string& login,
                          const Secret& password) const;

    uv_loop_t* loop_;
    std::unordered_set<std::string> verified_;  // SHA-256 of (account, login, password, source)
    unsigned generation_ = 0;                   // moved by forget_verdicts()
    std::shared_ptr<LocalPasswordChecker*> self_;
};

}  // namespace mb::session
