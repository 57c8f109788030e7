// ConfigReloader: loads and validates a configuration file on libuv's worker pool, so that a
// SIGHUP never stalls the event loop, and hands the result back on the loop thread. The blocking
// part of each [[server]]'s upstream side (proxy password secrets, CA files) is prepared there too.
// Owned by the Daemon; a reload in flight when the reloader is destroyed reports to no one.
#pragma once

#include <uv.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "bridge/config/config_loader.h"
#include "bridge/daemon/upstream_route.h"

namespace mb::daemon {

struct PreparedReload {
    config::LoadResult load;
    std::vector<Result<UpstreamRoute>> routes;  // one per load.config->servers, when valid
};

class ConfigReloader {
  public:
    using Done = std::function<void(PreparedReload)>;

    ConfigReloader(uv_loop_t* loop, std::filesystem::path path);
    ~ConfigReloader();
    ConfigReloader(const ConfigReloader&) = delete;
    ConfigReloader& operator=(const ConfigReloader&) = delete;

    // Starts a load; a request while one is in flight is merged into one more load after it.
    void request(Done done);

  private:
    struct Job;
    void start();
    static void work(uv_work_t* req);
    static void after(uv_work_t* req, int status);

    uv_loop_t* loop_;
    std::filesystem::path path_;
    Done done_;
    bool in_flight_ = false;
    bool again_ = false;
    std::shared_ptr<ConfigReloader*> self_;  // nulled on destruction; jobs check it
};

}  // namespace mb::daemon
