// CacheService: the daemon's metadata cache — the CacheStore in state_dir/cache.sqlite and its
// CacheWriter worker, opened at start and drained at exit, plus a loop timer that feeds per-account
// row counts to Metrics (counted on the libuv threadpool with a read connection of its own, so the
// loop never waits for SQLite). Owned by the daemon; sessions hold only the writer's address.
#pragma once

#include <uv.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "bridge/health/metrics.h"
#include "bridge/net/uv_timer.h"
#include "store/cache_writer.h"

namespace mb::daemon {

class CacheService {
  public:
    struct Options {
        std::chrono::milliseconds metrics_interval{10'000};
    };

    // Opens the cache and starts its writer and metrics timer. Returns null (after logging why)
    // when the cache cannot be opened or MAILBRIDGE_NO_CACHE=1 is set (for benchmarks): the
    // daemon then runs without a cache.
    static std::unique_ptr<CacheService> start(uv_loop_t* loop,
                                               const std::filesystem::path& state_dir,
                                               health::Metrics& metrics, Options options);
    static std::unique_ptr<CacheService> start(uv_loop_t* loop,
                                               const std::filesystem::path& state_dir,
                                               health::Metrics& metrics) {
        return start(loop, state_dir, metrics, Options{});
    }

    CacheService(const CacheService&) = delete;
    CacheService& operator=(const CacheService&) = delete;
    ~CacheService();

    store::CacheWriter& writer() { return *writer_; }
    // Messages cached per account, as of the last count (every metrics interval).
    const std::map<std::string, std::int64_t>& rows() const { return rows_; }
    const std::filesystem::path& file() const { return file_; }

    // Stops the metrics timer (on the loop, so that the loop can end); sessions may still write.
    void close_timer();
    // Writes what is queued and stops the writer. Idempotent; also run by the destructor.
    void stop();

  private:
    struct Counting;

    CacheService(uv_loop_t* loop, std::filesystem::path file, health::Metrics& metrics,
                 std::unique_ptr<store::CacheWriter> writer);
    void on_timer();
    void count_rows();
    void report_writer();

    uv_loop_t* loop_;
    std::map<std::string, std::int64_t> rows_;
    std::filesystem::path file_;
    health::Metrics& metrics_;
    std::unique_ptr<store::CacheWriter> writer_;
    net::UvTimer timer_;
    std::shared_ptr<Counting> counting_;  // shared with a count running on the threadpool
    std::set<std::string> reported_accounts_;
    std::uint64_t reported_dropped_ = 0;
    std::uint64_t reported_failed_ = 0;
    bool stopped_ = false;
};

}  // namespace mb::daemon
