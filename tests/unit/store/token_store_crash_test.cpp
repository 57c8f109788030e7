// Crash safety of the token store: a child process rotating the tokens of four logins in a loop
// (as refreshes do) is killed with SIGKILL; the store then opens without being moved aside, passes
// integrity_check, and every row decrypts to one complete rotation (access and refresh token of
// the same write), no older than the last rotation the child reported done.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "store/token_store.h"
#include "tests/unit/store/temp_dir.h"

namespace mb::store {
namespace {

constexpr int kLogins = 4;

StoredToken generation(int login, long round) {
    StoredToken token;
    token.account = "alice";
    token.login = "user" + std::to_string(login) + "@example.com";
    token.access_token = Secret("access-" + std::to_string(round));
    token.refresh_token = Secret("refresh-" + std::to_string(round));
    token.expires_at = std::chrono::system_clock::now() + std::chrono::hours(1);
    token.obtained_at = std::chrono::system_clock::now();
    token.scopes = "mail";
    return token;
}

std::string integrity_of(const std::filesystem::path& file) {
    sqlite3* db = nullptr;
    std::string result = "cannot open";
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) ==
                SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW)
            result = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return result;
}

TEST(TokenStoreCrash, SigkillDuringRotationsLeavesWholeRows) {
    testing::TempDir dir;
    { ASSERT_TRUE(TokenStore::open_in(dir.path(), std::nullopt).ok()); }
    int done[2];
    ASSERT_EQ(::pipe(done), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(done[0]);
        auto store = TokenStore::open_in(dir.path(), std::nullopt);
        if (!store) ::_exit(3);
        for (long round = 1;; ++round) {
            for (int login = 0; login < kLogins; ++login)
                if (!store->put(generation(login, round))) ::_exit(4);
            const char byte = 'x';
            if (::write(done[1], &byte, 1) != 1) ::_exit(5);  // this round is durable
        }
    }
    ::close(done[1]);
    long rounds_done = 0;
    char buffer[64];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (rounds_done < 400 && std::chrono::steady_clock::now() < deadline) {
        const ssize_t n = ::read(done[0], buffer, sizeof buffer);
        if (n <= 0) break;
        rounds_done += n;
    }
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself with " << status;
    // Rounds the child finished after our last read still count: drain the pipe.
    for (ssize_t n; (n = ::read(done[0], buffer, sizeof buffer)) > 0;) rounds_done += n;
    ::close(done[0]);
    ASSERT_GE(rounds_done, 400) << "the writer was too slow to test anything";

    auto store = TokenStore::open_in(dir.path(), std::nullopt);
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_TRUE(store->notices().empty()) << store->notices().front();
    EXPECT_EQ(integrity_of(store->file()), "ok");
    auto rows = store->load_all();
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    ASSERT_EQ(rows->size(), static_cast<std::size_t>(kLogins));
    for (const auto& row : *rows) {
        const std::string access = row.access_token.reveal();
        const std::string refresh = row.refresh_token.reveal();
        ASSERT_EQ(access.rfind("access-", 0), 0u) << access;
        const long round = std::stol(access.substr(7));
        EXPECT_EQ(refresh, "refresh-" + std::to_string(round)) << row.login;
        EXPECT_GE(round, rounds_done) << row.login << " lost a durable rotation";
        EXPECT_LE(round, rounds_done + 1) << row.login;
    }
}

}  // namespace
}  // namespace mb::store
