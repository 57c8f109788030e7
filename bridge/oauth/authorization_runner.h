// AuthorizationRunner: the daemon's interactive authorizations (the /auth/ACCOUNT pages). Each runs
// the account's flow (authorization code + PKCE with its loopback redirect, or device code) on a
// thread of its own, since the flow blocks for minutes; the loop only reads its state. When the
// tokens are stored, `on_authorized` runs on the loop (the daemon tells the TokenManager).
// Destroying the runner cancels running flows and joins their threads (within ~0.2 s, plus any
// HTTP call in flight, bounded by its timeout).
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "bridge/config/config_model.h"
#include "bridge/net/uv_handle.h"
#include "bridge/oauth/interactive_flows.h"
#include "protocol/result.h"

namespace mb::oauth {

struct AuthorizationState {
    enum class Phase { starting, waiting_for_user, authorized, failed };
    Phase phase = Phase::starting;
    std::string account;
    std::string login;
    std::string flow;     // "authorization_code" or "device_code"
    FlowPrompt prompt;    // set from waiting_for_user on
    std::string message;  // the outcome: a summary, or what failed and what to do
    std::chrono::system_clock::time_point started;
    std::chrono::system_clock::time_point finished;  // when authorized or failed
};

const char* phase_name(AuthorizationState::Phase phase);

// Flows under way (starting or waiting for the user) at once, across all logins; each holds a
// thread and perhaps a loopback port for minutes.
inline constexpr std::size_t kMaxFlowsUnderWay = 4;

class AuthorizationRunner {
  public:
    using Authorized = std::function<void(const std::string& account, const std::string& login)>;

    AuthorizationRunner(uv_loop_t* loop, Authorized on_authorized,
                        std::chrono::milliseconds redirect_timeout = std::chrono::minutes(5));
    AuthorizationRunner(const AuthorizationRunner&) = delete;
    AuthorizationRunner& operator=(const AuthorizationRunner&) = delete;
    ~AuthorizationRunner();

    // Starts the flow of `login` (checked by interactive_login) of `account` in `config`, unless
    // one is already starting or waiting for the user: then that one is returned. Error when
    // kMaxFlowsUnderWay other flows are under way.
    Result<AuthorizationState> start(std::shared_ptr<const config::Config> config,
                                     const config::AccountSettings& account,
                                     const std::string& login);

    // The newest flow of (account, login), if any was started.
    std::optional<AuthorizationState> state(const std::string& account,
                                            const std::string& login) const;

    // Internals shared with authorization_runner.cpp.
    struct Flow;
    struct Finished;

  private:
    void deliver_finished();

    uv_loop_t* loop_;
    Authorized on_authorized_;
    std::chrono::milliseconds redirect_timeout_;
    std::shared_ptr<Finished> finished_;  // flows' threads report here
    net::UvHandle<uv_async_t> wake_;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<Flow>> flows_;
};

}  // namespace mb::oauth
