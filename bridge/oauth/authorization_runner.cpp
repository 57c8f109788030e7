// The daemon's interactive authorizations on threads of their own (see authorization_runner.h).
#include "bridge/oauth/authorization_runner.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "bridge/oauth/interactive_authorization.h"

namespace mb::oauth {

using Phase = AuthorizationState::Phase;

struct AuthorizationRunner::Flow {
    mutable std::mutex mutex;
    AuthorizationState state;  // guarded by mutex
    std::atomic<bool> cancel{false};
    std::thread thread;

    AuthorizationState snapshot() const {
        std::lock_guard lock(mutex);
        return state;
    }
    void update(const std::function<void(AuthorizationState&)>& change) {
        std::lock_guard lock(mutex);
        change(state);
    }
};

// Keys of flows whose tokens were stored, for the loop to pick up.
struct AuthorizationRunner::Finished {
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> authorized;
    uv_async_t* wake = nullptr;  // valid while the runner lives (threads are joined before)
};

const char* phase_name(Phase phase) {
    switch (phase) {
        case Phase::starting:
            return "starting";
        case Phase::waiting_for_user:
            return "waiting_for_user";
        case Phase::authorized:
            return "authorized";
        case Phase::failed:
            break;
    }
    return "failed";
}

AuthorizationRunner::AuthorizationRunner(uv_loop_t* loop, Authorized on_authorized,
                                         std::chrono::milliseconds redirect_timeout)
    : loop_(loop),
      on_authorized_(std::move(on_authorized)),
      redirect_timeout_(redirect_timeout),
      finished_(std::make_shared<Finished>()) {
    wake_.open([&](uv_async_t* async) {
        return uv_async_init(loop_, async, [](uv_async_t* handle) {
            if (handle->data) static_cast<AuthorizationRunner*>(handle->data)->deliver_finished();
        });
    });
    wake_.get()->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(wake_.get()));
    finished_->wake = wake_.get();
}

AuthorizationRunner::~AuthorizationRunner() {
    for (auto& [key, flow] : flows_) flow->cancel = true;
    for (auto& [key, flow] : flows_)
        if (flow->thread.joinable()) flow->thread.join();
}

namespace {
bool under_way(Phase phase) {
    return phase == Phase::starting || phase == Phase::waiting_for_user;
}
}  // namespace

Result<AuthorizationState> AuthorizationRunner::start(std::shared_ptr<const config::Config> config,
                                                      const config::AccountSettings& account,
                                                      const std::string& login) {
    const auto key = std::make_pair(account.name, login);
    if (auto it = flows_.find(key); it != flows_.end()) {
        auto current = it->second->snapshot();
        if (under_way(current.phase)) return current;
    }
    std::size_t running = 0;
    for (const auto& [other, flow] : flows_) running += under_way(flow->snapshot().phase) ? 1 : 0;
    if (running >= kMaxFlowsUnderWay)
        return make_error(
            std::to_string(running) +
            " authorizations are under way already; finish or wait for one of "
            "them (each ends within " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(redirect_timeout_).count()) +
            " s) and try again");
    auto& slot = flows_[key];
    if (slot && slot->thread.joinable()) slot->thread.join();  // finished: returns at once
    slot = std::make_unique<Flow>();
    Flow* flow = slot.get();
    flow->state.account = account.name;
    flow->state.login = login;
    flow->state.flow =
        account.flow == config::Flow::device_code ? "device_code" : "authorization_code";
    flow->state.started = std::chrono::system_clock::now();
    spdlog::info("oauth: account {} login {}: authorization started from the health endpoint",
                 account.name, login);
    const AuthorizationState started = flow->state;
    flow->thread = std::thread([flow, config = std::move(config), account = &account, login,
                                finished = finished_, timeout = redirect_timeout_] {
        auto fail = [&](const std::string& message) {
            spdlog::warn("oauth: account {} login {}: authorization failed: {}", account->name,
                         login, message);
            flow->update([&](AuthorizationState& s) {
                s.phase = Phase::failed;
                s.message = message;
                s.finished = std::chrono::system_clock::now();
            });
        };
        auto client = interactive_client(*config, *account, login);
        if (!client) return fail(client.error().message);
        auto store = open_token_store(*config);
        if (!store) return fail(store.error().message);
        FlowIo io;
        io.redirect_timeout = timeout;
        io.cancelled = [flow] { return flow->cancel.load(); };
        io.prompt = [flow](const FlowPrompt& prompt) {
            flow->update([&](AuthorizationState& s) {
                s.phase = Phase::waiting_for_user;
                s.prompt = prompt;
            });
        };
        auto outcome = authorize_and_store(*client, *store, io);
        if (!outcome) return fail(outcome.error().message);
        spdlog::info("oauth: account {} login {}: authorized from the health endpoint",
                     account->name, login);
        flow->update([&](AuthorizationState& s) {
            s.phase = Phase::authorized;
            s.message = outcome->summary;
            if (!outcome->refresh_token)
                s.message +=
                    " The server issued no refresh token, so this authorization ends when the "
                    "access token expires — request the offline_access scope.";
            s.finished = std::chrono::system_clock::now();
        });
        std::lock_guard lock(finished->mutex);
        finished->authorized.emplace_back(account->name, login);
        uv_async_send(finished->wake);
    });
    return started;
}

std::optional<AuthorizationState> AuthorizationRunner::state(const std::string& account,
                                                             const std::string& login) const {
    auto it = flows_.find({account, login});
    if (it == flows_.end()) return std::nullopt;
    return it->second->snapshot();
}

void AuthorizationRunner::deliver_finished() {
    std::vector<std::pair<std::string, std::string>> batch;
    {
        std::lock_guard lock(finished_->mutex);
        batch.swap(finished_->authorized);
    }
    for (const auto& [account, login] : batch)
        if (on_authorized_) on_authorized_(account, login);
}

}  // namespace mb::oauth
