// Database: one SQLite connection to a mailbridge database file. open() creates the directory
// (0700) and the file (0600), sets the pragmas (WAL, foreign_keys, synchronous=NORMAL,
// busy_timeout), moves a corrupt or foreign file aside (renamed with a timestamp suffix) and
// rebuilds it, and migrates the schema. The store does not log: what the caller should log is
// returned in notices(). One Database per thread; it owns its connection.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"
#include "store/migrations.h"

// The SQLite handles by name only: <sqlite3.h> stays out of every header that includes the store.
struct sqlite3;

namespace mb::store {

class Database {
  public:
    struct Options {
        std::chrono::milliseconds busy_timeout{5000};
        bool check_integrity = true;  // PRAGMA quick_check at open; a failure moves the file aside
    };

    static Result<Database> open(const std::filesystem::path& file, const Schema& schema,
                                 Options options);
    static Result<Database> open(const std::filesystem::path& file, const Schema& schema) {
        return open(file, schema, Options{});
    }
    // For readers beside the daemon (the CLI): opens an existing file read-only (query_only),
    // never creates, migrates or moves anything; a file that is not ours, not at this schema
    // version, or not SQLite at all is an error saying what to do.
    static Result<Database> open_read_only(
        const std::filesystem::path& file, const Schema& schema,
        std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(5000));

    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    sqlite3* handle() const { return db_; }
    const std::filesystem::path& file() const { return file_; }
    // Warnings for the caller's log, e.g. that a corrupt file was moved aside.
    const std::vector<std::string>& notices() const { return notices_; }

    Result<void> exec(std::string_view sql) const;
    // "ok" when PRAGMA integrity_check finds nothing, else its first findings.
    Result<std::string> integrity_check() const;

  private:
    Database(sqlite3* db, std::filesystem::path file) : db_(db), file_(std::move(file)) {}

    sqlite3* db_ = nullptr;
    std::filesystem::path file_;
    std::vector<std::string> notices_;
};

// Renames `file` and its -wal/-shm companions to "<file>.<reason>-<UTC timestamp>"; returns the
// new path of the main file.
Result<std::filesystem::path> move_aside(const std::filesystem::path& file,
                                         std::string_view reason);

}  // namespace mb::store
