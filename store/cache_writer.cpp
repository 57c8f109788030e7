// CacheWriter implementation: one mutex guards the queue, the stale set and the statistics; the
// worker takes a batch under the lock and writes it outside it.
#include "store/cache_writer.h"

#include <algorithm>

namespace mb::store {

CacheWriter::CacheWriter(CacheStore store, Options options)
    : store_(std::move(store)),
      options_(options),
      digests_(options.max_digests),
      worker_([this] { run(); }) {}

CacheWriter::~CacheWriter() {
    stop();
}

bool CacheWriter::try_submit(CacheUpdate update) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    if (const auto* upsert = std::get_if<update::UpsertMessage>(&update);
        upsert && digests_.unchanged(*upsert)) {
        ++stats_.unchanged;
        return true;
    }
    if (queue_.size() >= options_.max_queue) {
        ++stats_.dropped;
        mark_stale_locked(update);
        wake_.notify_one();
        return false;
    }
    queue_.push_back(Queued{std::move(update), Clock::now()});
    digests_.record(queue_.back().update);
    generation_.fetch_add(1, std::memory_order_release);
    if (queue_.size() == 1 || queue_.size() >= options_.max_batch) wake_.notify_one();
    return true;
}

// The update's mailbox missed a change: the next batch marks it stale, and what was remembered of
// it no longer says what the store will hold.
void CacheWriter::mark_stale_locked(const CacheUpdate& update) {
    const Owner& owner = owner_of(update);
    digests_.forget(owner, mailbox_of(update));
    generation_.fetch_add(1, std::memory_order_release);
    if (stale_.size() < options_.max_stale_marks)
        stale_.emplace(owner.account, owner.login, mailbox_of(update));
    else
        stale_all_ = true;
}

void CacheWriter::flush() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] {
        return (queue_.empty() && stale_.empty() && !stale_all_ && !busy_) || !worker_.joinable();
    });
}

void CacheWriter::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (worker_.joinable()) worker_.join();
}

CacheWriter::Stats CacheWriter::stats() const {
    std::lock_guard lock(mutex_);
    Stats out = stats_;
    out.queued = queue_.size();
    return out;
}

void CacheWriter::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(
            lock, [this] { return stopping_ || !queue_.empty() || !stale_.empty() || stale_all_; });
        // Let a batch gather unless it is already full or the writer is stopping.
        if (!stopping_ && queue_.size() < options_.max_batch && stale_.empty() && !stale_all_) {
            wake_.wait_for(lock, options_.max_delay,
                           [this] { return stopping_ || queue_.size() >= options_.max_batch; });
        }
        if (queue_.empty() && stale_.empty() && !stale_all_) {
            if (stopping_) break;
            continue;
        }
        std::vector<Queued> batch;
        const std::size_t take = std::min(queue_.size(), options_.max_batch);
        batch.reserve(take);
        for (std::size_t i = 0; i < take; ++i) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        std::set<StaleKey> stale;
        stale.swap(stale_);
        const bool stale_all = std::exchange(stale_all_, false);
        busy_ = true;
        lock.unlock();
        write_batch(batch, stale, stale_all);
        lock.lock();
        busy_ = false;
        idle_.notify_all();
    }
    idle_.notify_all();
}

void CacheWriter::write_batch(std::vector<Queued>& batch, std::set<StaleKey>& stale,
                              bool stale_all) {
    const auto started = Clock::now();
    std::uint64_t applied = 0;
    std::uint64_t failed = 0;
    std::optional<std::string> error;
    std::vector<const CacheUpdate*> lost;  // updates whose change did not reach the store
    auto begun = store_.begin();
    if (!begun) {
        failed = batch.size();
        error = "cache write transaction could not start: " + begun.error().message;
    } else {
        for (const Queued& queued : batch) {
            if (auto done = store_.apply(queued.update); done) {
                ++applied;
            } else {
                ++failed;
                lost.push_back(&queued.update);
                error = "cache update failed: " + done.error().message;
            }
        }
        // Stale marks go last so that they win over updates of the same batch.
        for (const auto& [account, login, mailbox] : stale)
            if (auto marked = store_.mark_stale({account, login}, mailbox); !marked)
                error = "marking a mailbox stale failed: " + marked.error().message;
        if (stale_all)
            if (auto marked = store_.mark_all_stale(); !marked)
                error = "marking the cache stale failed: " + marked.error().message;
        if (auto committed = store_.commit(); !committed) {
            store_.rollback();
            failed = batch.size();
            applied = 0;
            error = "cache write transaction failed: " + committed.error().message;
        }
    }
    if (failed == batch.size()) {
        lost.clear();
        for (const Queued& queued : batch) lost.push_back(&queued.update);
    }
    const auto committed = Clock::now();
    const double ms = std::chrono::duration<double, std::milli>(committed - started).count();
    std::lock_guard lock(mutex_);
    if (!lost.empty()) {
        // Upserts left out as unchanged since these were queued may be missing too.
        digests_.clear();
        generation_.fetch_add(1, std::memory_order_release);
        for (const CacheUpdate* update : lost) mark_stale_locked(*update);
    }
    if (applied > 0) {
        std::map<std::string, double> worst;
        for (const Queued& queued : batch) {
            const std::string& account = owner_of(queued.update).account;
            const double waited =
                std::chrono::duration<double, std::milli>(committed - queued.submitted).count();
            double& slot = worst[account];
            slot = std::max(slot, waited);
            auto& latency = stats_.accounts[account];
            ++latency.updates;
            total_account_ms_[account] += waited;
            latency.average_ms = total_account_ms_[account] / static_cast<double>(latency.updates);
        }
        for (const auto& [account, waited] : worst) stats_.accounts[account].last_ms = waited;
    }
    stats_.applied += applied;
    stats_.failed += failed;
    if (error) stats_.last_error = std::move(error);
    if (failed == batch.size() && !batch.empty()) return;
    ++stats_.batches;
    total_batch_ms_ += ms;
    stats_.last_batch_ms = ms;
    stats_.average_batch_ms = total_batch_ms_ / static_cast<double>(stats_.batches);
}

}  // namespace mb::store
