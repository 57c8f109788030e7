// Statement: RAII over one prepared SQLite statement, with typed binds and columns. Owned by the
// store object that prepared it; must not outlive its connection. Text columns are read as raw
// bytes (BLOB-safe: embedded NULs and 8-bit bytes survive).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/result.h"

// The SQLite handles by name only: <sqlite3.h> stays out of every header that includes the store.
struct sqlite3;
struct sqlite3_stmt;

namespace mb::store {

class Statement {
  public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    bool prepared() const { return stmt_ != nullptr; }
    static Result<Statement> prepare(sqlite3* db, std::string_view sql);

    // Binds are 1-based as in SQLite. Blobs and texts are copied (SQLITE_TRANSIENT).
    Statement& bind(int index, std::int64_t value);
    Statement& bind_text(int index, std::string_view value);
    Statement& bind_blob(int index, std::string_view value);
    Statement& bind_null(int index);
    template <typename T>
    Statement& bind_optional(int index, const std::optional<T>& value) {
        if (!value) return bind_null(index);
        return bind(index, static_cast<std::int64_t>(*value));
    }
    Statement& bind_optional_blob(int index, const std::optional<std::string>& value);

    // Steps once: true when a row is available, false when done. Errors name the statement.
    Result<bool> step();
    // Steps to the end and resets, for statements without result rows.
    Result<void> run();
    void reset();

    bool is_null(int column) const;
    std::int64_t int64(int column) const;
    std::string bytes(int column) const;
    std::optional<std::int64_t> optional_int64(int column) const;
    std::optional<std::string> optional_bytes(int column) const;

  private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

// Runs SQL without results (may hold several statements).
Result<void> exec(sqlite3* db, std::string_view sql);

}  // namespace mb::store
