// Off-loop secret resolution with a cache (see secret_cache.h).
#include "bridge/oauth/secret_cache.h"

#include <optional>

namespace mb::oauth {

// Lets queued work find the cache, or learn that it is gone.
struct SecretCache::Shared {
    SecretCache* cache = nullptr;
};

struct SecretCache::Work {
    uv_work_t request{};
    std::shared_ptr<Shared> shared;
    SecretResolver resolver;
    config::SecretSource source;
    std::string name;
    std::optional<Result<Secret>> result;
};

SecretCache::SecretCache(uv_loop_t* loop, SecretResolver resolver)
    : loop_(loop), resolver_(std::move(resolver)), shared_(std::make_shared<Shared>()) {
    shared_->cache = this;
}

SecretCache::~SecretCache() {
    shared_->cache = nullptr;
}

void SecretCache::resolve(const std::string& name, const config::SecretSource& source,
                          Callback done) {
    auto& waiting = pending_[name];
    waiting.push_back(std::move(done));
    if (waiting.size() > 1) return;  // a resolution is already under way
    auto* work = new Work{{}, shared_, resolver_, source, name, std::nullopt};
    work->request.data = work;
    if (auto found = resolved_.find(name); found != resolved_.end()) {
        if (found->second.source == source) {
            // Known already: still answer from the loop, not from inside resolve().
            work->result.emplace(found->second.secret);
            work->resolver = nullptr;
        } else {
            resolved_.erase(found);
        }
    }
    // uv_queue_work fails only without a work callback.
    uv_queue_work(
        loop_, &work->request,
        [](uv_work_t* request) {
            auto* w = static_cast<Work*>(request->data);
            if (!w->result) w->result.emplace(w->resolver(w->source));
        },
        [](uv_work_t* request, int status) {
            std::unique_ptr<Work> w(static_cast<Work*>(request->data));
            SecretCache* cache = w->shared->cache;
            if (!cache) return;
            if (status == UV_ECANCELED || !w->result)
                w->result.emplace(make_error("resolving " + w->name + " was cancelled"));
            cache->finish(w->name, w->source, std::move(*w->result));
        });
}

void SecretCache::finish(const std::string& name, const config::SecretSource& source,
                         Result<Secret> result) {
    if (result) resolved_[name] = Known{source, result.value()};
    auto node = pending_.extract(name);
    if (node.empty()) return;
    auto alive = shared_;
    for (auto& callback : node.mapped()) {
        callback(result);
        if (!alive->cache) return;  // a callback destroyed the cache
    }
}

}  // namespace mb::oauth
