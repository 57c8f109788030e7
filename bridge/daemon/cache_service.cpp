// CacheService implementation: open (logging the store's notices), the writer, and the periodic
// row count on the threadpool whose result is posted back to Metrics on the loop.
#include "bridge/daemon/cache_service.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

namespace mb::daemon {

// What one row count shares between the loop and the threadpool. Only one count runs at a time;
// uv_queue_work orders the two threads' accesses.
struct CacheService::Counting {
    std::filesystem::path file;
    std::optional<store::CacheStore> reader;  // opened and used on the threadpool only
    CacheService* service = nullptr;          // null once the service is gone
    bool busy = false;
    std::vector<store::AccountRows> rows;
    std::string error;
    uv_work_t request{};
    std::shared_ptr<Counting> self;  // keeps this alive while the request is in flight
};

std::unique_ptr<CacheService> CacheService::start(uv_loop_t* loop,
                                                  const std::filesystem::path& state_dir,
                                                  health::Metrics& metrics, Options options) {
    const char* disabled = std::getenv("MAILBRIDGE_NO_CACHE");
    if (disabled && std::string_view(disabled) == "1") {
        spdlog::info("metadata cache: off (MAILBRIDGE_NO_CACHE=1)");
        return nullptr;
    }
    std::filesystem::path file = state_dir / "cache.sqlite";
    auto store = store::CacheStore::open(file);
    if (!store) {
        spdlog::error("metadata cache: off: {}", store.error().message);
        return nullptr;
    }
    for (const auto& notice : store->database().notices())
        spdlog::warn("metadata cache: {}", notice);
    auto writer = std::make_unique<store::CacheWriter>(std::move(*store));
    std::unique_ptr<CacheService> service(new CacheService(loop, file, metrics, std::move(writer)));
    service->timer_.unref();
    auto started = service->timer_.repeat(options.metrics_interval,
                                          [raw = service.get()] { raw->on_timer(); });
    if (!started)
        spdlog::warn("metadata cache: no row-count metrics ({})", started.error().message);
    spdlog::info("metadata cache: {}", file.string());
    return service;
}

CacheService::CacheService(uv_loop_t* loop, std::filesystem::path file, health::Metrics& metrics,
                           std::unique_ptr<store::CacheWriter> writer)
    : loop_(loop),
      file_(std::move(file)),
      metrics_(metrics),
      writer_(std::move(writer)),
      timer_(loop),
      counting_(std::make_shared<Counting>()) {
    counting_->file = file_;
    counting_->service = this;
}

CacheService::~CacheService() {
    counting_->service = nullptr;
    stop();
}

void CacheService::close_timer() {
    timer_.close();
}

void CacheService::stop() {
    if (stopped_) return;
    stopped_ = true;
    writer_->stop();
    report_writer();
}

void CacheService::on_timer() {
    report_writer();
    count_rows();
}

void CacheService::report_writer() {
    auto stats = writer_->stats();
    if (stats.dropped > reported_dropped_)
        spdlog::warn(
            "metadata cache: {} update(s) dropped because the write queue was full; the "
            "mailboxes concerned are marked stale",
            stats.dropped - reported_dropped_);
    if (stats.failed > reported_failed_)
        spdlog::warn("metadata cache: {} write(s) failed: {}", stats.failed - reported_failed_,
                     stats.last_error.value_or("no detail"));
    reported_dropped_ = stats.dropped;
    reported_failed_ = stats.failed;
    metrics_.cache_writes(stats.last_batch_ms / 1000, stats.average_batch_ms / 1000, stats.applied,
                          stats.unchanged, stats.dropped, stats.queued);
    for (const auto& [account, latency] : stats.accounts)
        metrics_.cache_account_writes(account, latency.last_ms / 1000, latency.average_ms / 1000);
    spdlog::debug(
        "metadata cache: {} update(s) applied in {} batch(es), last batch {:.1f} ms, average "
        "{:.1f} ms, {} left out as unchanged, {} queued",
        stats.applied, stats.batches, stats.last_batch_ms, stats.average_batch_ms, stats.unchanged,
        stats.queued);
}

void CacheService::count_rows() {
    if (counting_->busy) return;
    counting_->busy = true;
    counting_->self = counting_;
    counting_->request.data = counting_.get();
    int rc = uv_queue_work(
        loop_, &counting_->request,
        [](uv_work_t* request) {
            auto* counting = static_cast<Counting*>(request->data);
            counting->rows.clear();
            counting->error.clear();
            if (!counting->reader) {
                store::Database::Options options;
                options.check_integrity = false;
                auto reader = store::CacheStore::open(counting->file, options);
                if (!reader) {
                    counting->error = reader.error().message;
                    return;
                }
                counting->reader.emplace(std::move(*reader));
            }
            auto rows = counting->reader->row_counts();
            if (rows)
                counting->rows = std::move(*rows);
            else
                counting->error = rows.error().message;
        },
        [](uv_work_t* request, int status) {
            auto* counting = static_cast<Counting*>(request->data);
            std::shared_ptr<Counting> keep = std::move(counting->self);
            counting->busy = false;
            if (status != 0 || !counting->service) return;
            CacheService& service = *counting->service;
            if (!counting->error.empty()) {
                spdlog::debug("metadata cache: cannot count rows: {}", counting->error);
                return;
            }
            std::set<std::string> seen;
            service.rows_.clear();
            for (const auto& row : counting->rows) {
                service.rows_[row.account] += static_cast<std::int64_t>(row.messages);
                service.metrics_.cache_rows(row.account, static_cast<std::int64_t>(row.messages));
                seen.insert(row.account);
            }
            for (const auto& account : service.reported_accounts_)
                if (!seen.contains(account)) service.metrics_.cache_rows(account, 0);
            service.reported_accounts_ = std::move(seen);
        });
    if (rc != 0) {
        counting_->busy = false;
        counting_->self.reset();
        spdlog::debug("metadata cache: cannot count rows: {}", uv_strerror(rc));
    }
}

}  // namespace mb::daemon
