// Schemas and their migrations: a Schema is an ordered list of SQL steps (step i brings the file
// from version i to i+1) plus the table names that identify a file as ours. migrate() applies the
// missing steps in one transaction and records the version in the schema_version table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

// The SQLite handle by name only: <sqlite3.h> stays out of every header that includes the store.
struct sqlite3;

namespace mb::store {

struct Schema {
    std::string name;                          // for messages, e.g. "metadata cache"
    std::vector<std::string_view> steps;       // steps[i]: version i → i+1
    std::vector<std::string_view> own_tables;  // tables (besides schema_version) that are ours
    int version() const { return static_cast<int>(steps.size()); }
};

// The metadata cache: logins, mailboxes, messages.
const Schema& cache_schema();

// What a file holds, judged by its tables.
enum class FileKind { Empty, Ours, Foreign };
Result<FileKind> classify(sqlite3* db, const Schema& schema);

// The version recorded in schema_version (0 when the table is empty or missing).
Result<int> schema_version(sqlite3* db);

// Brings the file to `target` (default: the newest version) in one transaction. Refuses a file
// whose version is newer than the schema knows.
Result<void> migrate(sqlite3* db, const Schema& schema, int target = -1);

}  // namespace mb::store
