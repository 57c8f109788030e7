// SecretCache: resolves configured SecretSources (client secrets, proxy passwords) on libuv's
// threadpool — resolution BLOCKS (files, commands) and must never run on the loop — once per name,
// and keeps the resolved Secrets. Owned by the TokenManager; callbacks run on the loop, never from
// inside resolve(), and never after the cache is destroyed.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bridge/config/config_model.h"
#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::oauth {

// Runs on a worker thread.
using SecretResolver = std::function<Result<Secret>(const config::SecretSource&)>;

class SecretCache {
  public:
    SecretCache(uv_loop_t* loop, SecretResolver resolver);
    SecretCache(const SecretCache&) = delete;
    SecretCache& operator=(const SecretCache&) = delete;
    ~SecretCache();

    using Callback = std::function<void(const Result<Secret>&)>;
    // `name` identifies the secret ("client_secret of account alice"); concurrent requests for
    // one name share one resolution. Successes are kept with their source; failures are not (the
    // next call retries). A call naming a kept secret with another source (a reload changed it)
    // resolves the new source.
    void resolve(const std::string& name, const config::SecretSource& source, Callback done);
    // A reload: every kept secret is read again at its next use (a file or command may give a
    // rotated value under an unchanged source).
    void forget_all() { resolved_.clear(); }

  private:
    struct Work;
    struct Shared;
    struct Known {
        config::SecretSource source;
        Secret secret;
    };
    void finish(const std::string& name, const config::SecretSource& source, Result<Secret> result);

    uv_loop_t* loop_;
    SecretResolver resolver_;
    std::shared_ptr<Shared> shared_;  // outlives the cache while work is queued
    std::map<std::string, Known, std::less<>> resolved_;
    std::map<std::string, std::vector<Callback>, std::less<>> pending_;
};

}  // namespace mb::oauth
