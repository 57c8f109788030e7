// TokenStoreWorker: runs TokenStore jobs on libuv's threadpool, one at a time and in the order
// posted, so the event loop never waits for SQLite (or for resolving the token key). The store
// is opened by the first job (STATE_DIR/tokens.sqlite; key from the token_key secret, else the
// key file) and opening is retried by later jobs after a failure.
//
// Ownership: the TokenManager owns the worker; the worker owns the store (touched only by the
// job running on the pool). A job's `done` runs on the loop after its `work`, never after the
// worker is destroyed; a queued job whose worker is gone is dropped.
#pragma once

#include <uv.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "bridge/config/config_model.h"
#include "bridge/oauth/secret_cache.h"
#include "protocol/result.h"
#include "store/token_store.h"

namespace mb::oauth {

class TokenStoreWorker {
  public:
    // Runs on the worker thread with the open store, or the error that kept it closed.
    using Work = std::function<void(Result<store::TokenStore*>)>;
    // Runs on the loop afterwards.
    using Done = std::function<void()>;

    TokenStoreWorker(uv_loop_t* loop, std::filesystem::path state_dir,
                     config::SecretSource token_key, SecretResolver resolve_secret);
    TokenStoreWorker(const TokenStoreWorker&) = delete;
    TokenStoreWorker& operator=(const TokenStoreWorker&) = delete;
    ~TokenStoreWorker();

    void post(Work work, Done done);

    // Internals shared with token_store_worker.cpp.
    struct Shared;
    struct Job;

  private:
    static void start_next(const std::shared_ptr<Shared>& shared);

    std::shared_ptr<Shared> shared_;
};

}  // namespace mb::oauth
