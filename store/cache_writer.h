// CacheWriter: applies CacheUpdates to the metadata cache on its own worker thread, so the event
// loop never waits for SQLite. The queue is bounded; try_submit() never blocks: when the queue is
// full the update is dropped and its mailbox is marked stale (a small separate set the worker
// applies). Updates are applied in batched transactions (up to max_batch, or after max_delay). An
// upsert that would change nothing the queue or the store already holds is left out (see
// MessageDigests); a write that fails forgets those digests and marks its mailbox stale.
// stop() (also run by the destructor) drains the queue and joins the worker. Owns its CacheStore;
// crash safety comes from SQLite's WAL and the transactions.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "protocol/result.h"
#include "store/cache_store.h"
#include "store/cache_update.h"
#include "store/message_digests.h"

namespace mb::store {

class CacheWriter {
  public:
    struct Options {
        std::size_t max_queue = 10000;
        std::size_t max_batch = 500;
        std::chrono::milliseconds max_delay{50};
        std::size_t max_stale_marks = 4096;  // past this, every mailbox is marked stale
        std::size_t max_digests = 200'000;   // messages whose last queued state is remembered
    };

    struct Stats {
        std::uint64_t applied = 0;    // updates written
        std::uint64_t unchanged = 0;  // upserts left out: they would have changed nothing
        std::uint64_t dropped = 0;    // updates refused because the queue was full
        std::uint64_t failed = 0;     // updates or batches SQLite refused
        std::uint64_t batches = 0;    // committed transactions
        std::size_t queued = 0;       // waiting now
        double last_batch_ms = 0;     // latency of the last transaction
        double average_batch_ms = 0;  // over all transactions
        // Per account: milliseconds from try_submit() to the commit that made an update durable
        // (queue wait + transaction): the worst of the account's newest batch, and the average
        // over all its applied updates.
        struct AccountLatency {
            double last_ms = 0;
            double average_ms = 0;
            std::uint64_t updates = 0;
        };
        std::map<std::string, AccountLatency> accounts;
        std::optional<std::string> last_error;  // for the caller's log
    };

    // Starts the worker with an open store (e.g. CacheStore::open(state_dir / "cache.db")).
    CacheWriter(CacheStore store, Options options);
    explicit CacheWriter(CacheStore store) : CacheWriter(std::move(store), Options{}) {}
    CacheWriter(const CacheWriter&) = delete;
    CacheWriter& operator=(const CacheWriter&) = delete;
    ~CacheWriter();

    // Never blocks on SQLite. False when the writer is stopped or the queue is full (then the
    // update's mailbox is marked stale). True also for an upsert left out as unchanged.
    bool try_submit(CacheUpdate update);
    // Changes whenever what the cache will hold may have changed: an update was queued, dropped or
    // lost by a failed write. Unchanged upserts leave it alone. Cheap, any thread.
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
    // Waits until everything submitted so far is written (for tests and orderly shutdown).
    void flush();
    // Drains the queue, then stops the worker. Idempotent.
    void stop();
    Stats stats() const;

  private:
    using StaleKey = std::tuple<std::string, std::string, std::string>;  // account, login, mailbox

    void run();
    using Clock = std::chrono::steady_clock;
    struct Queued {
        CacheUpdate update;
        Clock::time_point submitted;
    };
    void write_batch(std::vector<Queued>& batch, std::set<StaleKey>& stale, bool stale_all);
    void mark_stale_locked(const CacheUpdate& update);

    CacheStore store_;
    Options options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<Queued> queue_;
    std::set<StaleKey> stale_;
    MessageDigests digests_;                    // guarded by mutex_
    std::atomic<std::uint64_t> generation_{1};  // changed under mutex_
    bool stale_all_ = false;
    bool stopping_ = false;
    bool busy_ = false;
    Stats stats_;
    double total_batch_ms_ = 0;
    std::map<std::string, double> total_account_ms_;
    std::thread worker_;
};

}  // namespace mb::store
