// Worker-pool configuration loading for ConfigReloader.
#include "bridge/daemon/config_reloader.h"

#include <utility>

namespace mb::daemon {

struct ConfigReloader::Job {
    uv_work_t req{};
    std::weak_ptr<ConfigReloader*> owner;
    std::filesystem::path path;
    PreparedReload result;
};

ConfigReloader::ConfigReloader(uv_loop_t* loop, std::filesystem::path path)
    : loop_(loop), path_(std::move(path)), self_(std::make_shared<ConfigReloader*>(this)) {}

ConfigReloader::~ConfigReloader() {
    *self_ = nullptr;
}

void ConfigReloader::request(Done done) {
    done_ = std::move(done);
    if (in_flight_) {
        again_ = true;
        return;
    }
    start();
}

void ConfigReloader::start() {
    auto* job = new Job;
    job->req.data = job;
    job->owner = self_;
    job->path = path_;
    in_flight_ = true;
    if (uv_queue_work(loop_, &job->req, &ConfigReloader::work, &ConfigReloader::after) != 0) {
        // The pool refused the job (it only does so when the loop is broken): load here instead.
        work(&job->req);
        after(&job->req, 0);
    }
}

void ConfigReloader::work(uv_work_t* req) {
    auto* job = static_cast<Job*>(req->data);
    job->result.load = config::load_config_file(job->path);
    if (!job->result.load.config) return;
    for (const auto& server : job->result.load.config->servers)
        job->result.routes.push_back(prepare_upstream_route(*job->result.load.config, server));
}

void ConfigReloader::after(uv_work_t* req, int) {
    std::unique_ptr<Job> job(static_cast<Job*>(req->data));
    auto owner = job->owner.lock();
    if (!owner || !*owner) return;
    ConfigReloader* self = *owner;
    self->in_flight_ = false;
    if (self->again_) {
        self->again_ = false;
        self->start();
        return;
    }
    if (self->done_) self->done_(std::move(job->result));
}

}  // namespace mb::daemon
