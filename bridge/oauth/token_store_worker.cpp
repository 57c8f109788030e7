// The token store worker (see token_store_worker.h): a queue of jobs, one uv_work_t in flight.
#include "bridge/oauth/token_store_worker.h"

#include <spdlog/spdlog.h>

namespace mb::oauth {

struct TokenStoreWorker::Job {
    Work work;
    Done done;
};

struct TokenStoreWorker::Shared {
    uv_loop_t* loop = nullptr;
    std::filesystem::path state_dir;
    config::SecretSource token_key;
    SecretResolver resolve_secret;
    std::optional<store::TokenStore> store;  // only the running job touches it
    std::deque<Job> queue;                   // loop thread only
    bool running = false;
    bool alive = true;  // false once the worker is destroyed

    Result<store::TokenStore*> open_store() {
        if (store) return &*store;
        std::optional<Secret> passphrase;
        if (!token_key.empty()) {
            auto key = resolve_secret(token_key);
            if (!key) return make_error("cannot read [daemon] token_key: " + key.error().message);
            passphrase = std::move(*key);
        }
        auto opened = store::TokenStore::open_in(state_dir, passphrase);
        if (!opened) return opened.error();
        for (const auto& notice : opened->notices()) spdlog::warn("token store: {}", notice);
        store.emplace(std::move(*opened));
        return &*store;
    }
};

// One job in flight; owns the job and keeps the Shared alive until the after-work callback.
struct Request {
    uv_work_t req{};
    std::shared_ptr<TokenStoreWorker::Shared> shared;
    TokenStoreWorker::Job job;
};

TokenStoreWorker::TokenStoreWorker(uv_loop_t* loop, std::filesystem::path state_dir,
                                   config::SecretSource token_key, SecretResolver resolve_secret)
    : shared_(std::make_shared<Shared>()) {
    shared_->loop = loop;
    shared_->state_dir = std::move(state_dir);
    shared_->token_key = std::move(token_key);
    shared_->resolve_secret = std::move(resolve_secret);
}

TokenStoreWorker::~TokenStoreWorker() {
    shared_->alive = false;
    shared_->queue.clear();
}

void TokenStoreWorker::post(Work work, Done done) {
    shared_->queue.push_back(Job{std::move(work), std::move(done)});
    start_next(shared_);
}

void TokenStoreWorker::start_next(const std::shared_ptr<Shared>& shared) {
    if (shared->running || shared->queue.empty() || !shared->alive) return;
    shared->running = true;
    auto* request = new Request;
    request->shared = shared;
    request->job = std::move(shared->queue.front());
    shared->queue.pop_front();
    request->req.data = request;
    uv_queue_work(
        shared->loop, &request->req,
        [](uv_work_t* req) {
            auto* self = static_cast<Request*>(req->data);
            self->job.work(self->shared->open_store());
        },
        [](uv_work_t* req, int) {
            std::unique_ptr<Request> self(static_cast<Request*>(req->data));
            auto state = self->shared;
            state->running = false;
            if (!state->alive) return;
            if (self->job.done) self->job.done();
            if (state->alive) start_next(state);
        });
}

}  // namespace mb::oauth
