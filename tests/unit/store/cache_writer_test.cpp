// Tests for CacheWriter: batching, drain on stop, a full queue dropping updates and marking the
// mailbox stale, a reader on its own connection while the writer writes, and crash safety: a
// child process writing in a loop is killed with SIGKILL, after which the file passes
// integrity_check and holds a prefix of what was written.
#include "store/cache_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/unit/store/temp_dir.h"

namespace mb::store {
namespace {

const Owner kAlice{"corp", "alice@example.com"};

CacheUpdate upsert(std::uint32_t uid, const std::string& mailbox = "INBOX") {
    MessageUpdate message;
    message.uid = uid;
    message.flags = "\\Seen";
    message.envelope =
        "(NIL \"message " + std::to_string(uid) + "\" NIL NIL NIL NIL NIL NIL NIL NIL)";
    return update::UpsertMessage{kAlice, mailbox, 7, message};
}

CacheStore open_store(const std::filesystem::path& file) {
    auto store = CacheStore::open(file);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return std::move(*store);
}

std::size_t count(CacheStore& store, const std::string& mailbox = "INBOX") {
    auto listed = store.messages(kAlice, mailbox);
    EXPECT_TRUE(listed.ok());
    return listed.ok() ? listed->size() : 0;
}

TEST(CacheWriter, AppliesUpdatesInBatchesAndDrainsOnStop) {
    testing::TempDir temp;
    const auto file = temp.path() / "cache.db";
    CacheWriter writer(open_store(file), {10000, 100, std::chrono::milliseconds(20), 16});
    for (std::uint32_t uid = 1; uid <= 1000; ++uid) ASSERT_TRUE(writer.try_submit(upsert(uid)));
    writer.stop();
    EXPECT_FALSE(writer.try_submit(upsert(2000)));
    const auto stats = writer.stats();
    EXPECT_EQ(stats.applied, 1000u);
    EXPECT_EQ(stats.failed, 0u);
    EXPECT_EQ(stats.dropped, 0u);
    EXPECT_GE(stats.batches, 10u);
    EXPECT_GT(stats.average_batch_ms, 0.0);
    EXPECT_FALSE(stats.last_error);
    CacheStore reader = open_store(file);
    EXPECT_EQ(count(reader), 1000u);
}

TEST(CacheWriter, ReportsWriteLatencyPerAccount) {
    testing::TempDir temp;
    CacheWriter writer(open_store(temp.path() / "cache.db"),
                       {10000, 100, std::chrono::milliseconds(20), 16});
    for (std::uint32_t uid = 1; uid <= 300; ++uid) ASSERT_TRUE(writer.try_submit(upsert(uid)));
    MessageUpdate message;
    message.uid = 1;
    message.flags = "\\Flagged";
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(writer.try_submit(
            update::UpsertMessage{Owner{"sales", "bob@example.com"}, "INBOX", 3, message}));
    writer.flush();
    const auto stats = writer.stats();
    ASSERT_EQ(stats.accounts.size(), 2u);
    const auto& corp = stats.accounts.at("corp");
    const auto& sales = stats.accounts.at("sales");
    EXPECT_EQ(corp.updates, 300u);
    EXPECT_EQ(sales.updates, 5u);
    EXPECT_GT(corp.average_ms, 0.0);
    EXPECT_GT(sales.last_ms, 0.0);
    EXPECT_GT(corp.last_ms, 0.0);
    EXPECT_LT(corp.average_ms, 10'000.0);
}

TEST(CacheWriter, FullQueueDropsAndMarksTheMailboxStale) {
    testing::TempDir temp;
    const auto file = temp.path() / "cache.db";
    // Hold the write lock from another connection so the worker cannot drain the queue.
    auto store = CacheStore::open(file, {std::chrono::milliseconds(10000), true});
    ASSERT_TRUE(store.ok());
    CacheStore blocker = open_store(file);
    ASSERT_TRUE(blocker.begin().ok());
    CacheWriter writer(std::move(*store), {5, 5, std::chrono::milliseconds(1), 1});
    ASSERT_TRUE(writer.try_submit(upsert(1, "Sent")));
    std::this_thread::sleep_for(
        std::chrono::milliseconds(100));  // the worker now waits on the lock
    std::size_t accepted = 0;
    for (std::uint32_t uid = 2; uid <= 20; ++uid)
        accepted += writer.try_submit(upsert(uid)) ? 1 : 0;
    EXPECT_FALSE(writer.try_submit(upsert(30, "Other")));  // past max_stale_marks: all stale
    EXPECT_EQ(accepted, 5u);
    EXPECT_EQ(writer.stats().dropped, 15u);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(writer.try_submit(upsert(40)));
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(50));
    blocker.rollback();
    writer.flush();
    writer.stop();
    EXPECT_EQ(writer.stats().applied, 6u);
    auto boxes = blocker.mailboxes(kAlice);
    ASSERT_TRUE(boxes.ok());
    ASSERT_EQ(boxes->size(), 2u);
    EXPECT_EQ((*boxes)[0].name, "INBOX");
    EXPECT_TRUE((*boxes)[0].stale);
    EXPECT_EQ((*boxes)[0].messages, 5u);
    EXPECT_EQ((*boxes)[1].name, "Sent");
    EXPECT_TRUE((*boxes)[1].stale);
}

TEST(CacheWriter, LeavesOutUpsertsThatChangeNothing) {
    testing::TempDir temp;
    const auto file = temp.path() / "cache.db";
    CacheWriter writer(open_store(file), {10000, 100, std::chrono::milliseconds(5), 16});
    const std::uint64_t initial = writer.generation();
    ASSERT_TRUE(writer.try_submit(update::MailboxState{kAlice, "INBOX", 7, 11, {}}));
    for (std::uint32_t uid = 1; uid <= 10; ++uid) ASSERT_TRUE(writer.try_submit(upsert(uid)));
    const std::uint64_t after_first = writer.generation();
    EXPECT_NE(after_first, initial);  // queued updates move it
    for (int round = 0; round < 2; ++round)
        for (std::uint32_t uid = 1; uid <= 10; ++uid) ASSERT_TRUE(writer.try_submit(upsert(uid)));
    EXPECT_EQ(writer.generation(), after_first);  // unchanged ones do not
    MessageUpdate flagged;
    flagged.uid = 4;
    flagged.flags = "\\Seen \\Flagged";
    ASSERT_TRUE(writer.try_submit(update::UpsertMessage{kAlice, "INBOX", 7, flagged}));
    writer.flush();
    auto stats = writer.stats();
    EXPECT_EQ(stats.applied, 12u);  // the state, ten messages, one flag change
    EXPECT_EQ(stats.unchanged, 20u);
    CacheStore reader = open_store(file);
    auto stored = reader.message(kAlice, "INBOX", 4);
    ASSERT_TRUE(stored.ok() && *stored);
    EXPECT_EQ((*stored)->flags, "\\Seen \\Flagged");
    ASSERT_TRUE((*stored)->envelope);
    EXPECT_EQ((*stored)->envelope->subject, "message 4");

    // A write that fails (an upsert without a UID) forgets what was remembered and marks its
    // mailbox stale: the same upsert is written again rather than trusted.
    MessageUpdate broken;
    broken.flags = "";
    ASSERT_TRUE(writer.try_submit(update::UpsertMessage{kAlice, "INBOX", 7, broken}));
    writer.flush();
    ASSERT_TRUE(writer.try_submit(upsert(1)));
    writer.flush();
    stats = writer.stats();
    EXPECT_EQ(stats.failed, 1u);
    EXPECT_EQ(stats.applied, 13u);
    EXPECT_EQ(stats.unchanged, 20u);
    auto boxes = reader.mailboxes(kAlice);
    ASSERT_TRUE(boxes.ok() && boxes->size() == 1u);
    EXPECT_TRUE((*boxes)[0].stale);
}

TEST(CacheWriter, ReaderSeesConsistentDataWhileWriting) {
    testing::TempDir temp;
    const auto file = temp.path() / "cache.db";
    CacheWriter writer(open_store(file));
    CacheStore reader = open_store(file);
    std::atomic<bool> done{false};
    std::thread producer([&] {
        for (std::uint32_t uid = 1; uid <= 5000; ++uid) {
            while (!writer.try_submit(upsert(uid))) std::this_thread::yield();
        }
        writer.flush();
        done = true;
    });
    std::size_t last = 0;
    int reads = 0;
    while (!done) {
        auto listed = reader.messages(kAlice, "INBOX");
        ASSERT_TRUE(listed.ok()) << listed.error().message;
        // Rows arrive in order, so every read sees exactly UIDs 1..n.
        for (std::size_t i = 0; i < listed->size(); ++i) ASSERT_EQ((*listed)[i].uid, i + 1);
        EXPECT_GE(listed->size(), last);
        last = listed->size();
        ++reads;
    }
    producer.join();
    EXPECT_EQ(count(reader), 5000u);
    EXPECT_GT(reads, 0);
}

TEST(CacheWriter, SurvivesSigkillWithAPrefixOfTheWrites) {
    testing::TempDir temp;
    const auto file = temp.path() / "cache.db";
    { open_store(file); }
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto store = CacheStore::open(file);
        if (!store) ::_exit(3);
        CacheWriter writer(std::move(*store), {10000, 50, std::chrono::milliseconds(1), 16});
        for (std::uint32_t uid = 1;; ++uid) {
            while (!writer.try_submit(upsert(uid))) std::this_thread::yield();
        }
    }
    // Wait until the child has committed something, then kill it mid-write.
    CacheStore reader = open_store(file);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (count(reader) < 2000 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));

    auto reopened = CacheStore::open(file);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    EXPECT_TRUE(reopened->database().notices().empty());
    EXPECT_EQ(*reopened->database().integrity_check(), "ok");
    auto listed = reopened->messages(kAlice, "INBOX");
    ASSERT_TRUE(listed.ok());
    ASSERT_GE(listed->size(), 2000u);
    for (std::size_t i = 0; i < listed->size(); ++i) {
        ASSERT_EQ((*listed)[i].uid, i + 1);
        ASSERT_EQ((*listed)[i].subject, "message " + std::to_string(i + 1));
    }
}

}  // namespace
}  // namespace mb::store
