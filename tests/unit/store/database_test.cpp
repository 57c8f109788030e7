// Tests for Database::open and the migrations: fresh files and their modes, an older schema
// migrated, a newer one refused, corrupt and foreign files moved aside and rebuilt.
#include "store/database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "store/statement.h"
#include "tests/unit/store/temp_dir.h"

namespace mb::store {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& path) {
    struct stat info {};
    ::stat(path.c_str(), &info);
    return info.st_mode & 0777;
}

std::string pragma(const Database& db, const std::string& name) {
    auto query = Statement::prepare(db.handle(), "PRAGMA " + name);
    EXPECT_TRUE(query.ok());
    auto row = query->step();
    EXPECT_TRUE(row.ok() && *row);
    return query->bytes(0);
}

std::vector<fs::path> moved_files(const fs::path& dir, const std::string& reason) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().filename().string().find("cache.db." + reason + "-") == 0 &&
            entry.path().string().find("-wal") == std::string::npos &&
            entry.path().string().find("-shm") == std::string::npos)
            out.push_back(entry.path());
    return out;
}

TEST(Database, CreatesDirectoryAndFileWithPragmas) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "state" / "sub" / "cache.db";
    auto db = Database::open(file, cache_schema());
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_TRUE(db->notices().empty());
    EXPECT_EQ(mode_of(file.parent_path()), 0700u);
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(pragma(*db, "journal_mode"), "wal");
    EXPECT_EQ(pragma(*db, "foreign_keys"), "1");
    EXPECT_EQ(pragma(*db, "synchronous"), "1");
    EXPECT_EQ(pragma(*db, "busy_timeout"), "5000");
    auto version = schema_version(db->handle());
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(*version, cache_schema().version());
    EXPECT_EQ(*db->integrity_check(), "ok");
    // Reopening an up-to-date file changes nothing.
    auto again = Database::open(file, cache_schema());
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_TRUE(again->notices().empty());
}

TEST(Database, MigratesAnOlderSchemaKeepingRows) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "cache.db";
    {
        auto db = Database::open(
            file, Schema{"metadata cache", {cache_schema().steps[0]}, cache_schema().own_tables});
        ASSERT_TRUE(db.ok()) << db.error().message;
        EXPECT_EQ(*schema_version(db->handle()), 1);
        ASSERT_TRUE(db->exec("INSERT INTO logins (account, login) VALUES ('a', 'b')").ok());
    }
    auto db = Database::open(file, cache_schema());
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ(*schema_version(db->handle()), 2);
    auto index = Statement::prepare(
        db->handle(), "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'messages_message_id'");
    ASSERT_TRUE(index->step().ok());
    EXPECT_EQ(index->int64(0), 1);
    auto rows = Statement::prepare(db->handle(), "SELECT COUNT(*) FROM logins");
    ASSERT_TRUE(rows->step().ok());
    EXPECT_EQ(rows->int64(0), 1);
}

TEST(Database, FailedMigrationLeavesTheOldVersion) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "cache.db";
    {
        auto db = Database::open(
            file, Schema{"metadata cache", {cache_schema().steps[0]}, cache_schema().own_tables});
        ASSERT_TRUE(db.ok());
    }
    auto db = Database::open(
        file, Schema{"metadata cache",
                     {cache_schema().steps[0], "CREATE TABLE extra (x); CREATE TABLE logins (y);"},
                     cache_schema().own_tables});
    ASSERT_FALSE(db.ok());
    EXPECT_NE(db.error().message.find("version 2"), std::string::npos) << db.error().message;
    auto reopened = Database::open(
        file, Schema{"metadata cache", {cache_schema().steps[0]}, cache_schema().own_tables});
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    EXPECT_EQ(*schema_version(reopened->handle()), 1);
    auto extra = Statement::prepare(reopened->handle(),
                                    "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'extra'");
    ASSERT_TRUE(extra->step().ok());
    EXPECT_EQ(extra->int64(0), 0);
}

TEST(Database, RefusesANewerSchema) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "cache.db";
    {
        auto db = Database::open(file, cache_schema());
        ASSERT_TRUE(db.ok());
        ASSERT_TRUE(
            db->exec("UPDATE schema_version SET version = 99; CREATE TABLE future (x)").ok());
    }
    auto db = Database::open(file, cache_schema());
    ASSERT_FALSE(db.ok());
    EXPECT_NE(db.error().message.find("newer"), std::string::npos) << db.error().message;
    EXPECT_NE(db.error().message.find("99"), std::string::npos);
    EXPECT_TRUE(fs::exists(file));
    EXPECT_TRUE(moved_files(temp.path(), "corrupt").empty());
    EXPECT_TRUE(moved_files(temp.path(), "foreign").empty());
}

TEST(Database, MovesANonSqliteFileAsideAndRebuilds) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "cache.db";
    std::ofstream(file) << "this is not a database, just some text that is long enough";
    auto db = Database::open(file, cache_schema());
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_EQ(db->notices().size(), 1u);
    EXPECT_NE(db->notices()[0].find("moved it to"), std::string::npos);
    auto moved = moved_files(temp.path(), "corrupt");
    ASSERT_EQ(moved.size(), 1u);
    std::ifstream in(moved[0]);
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, "this is not a database, just some text that is long enough");
    EXPECT_EQ(*schema_version(db->handle()), cache_schema().version());
}

TEST(Database, MovesACorruptSqliteFileAside) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "cache.db";
    {
        auto db = Database::open(file, cache_schema());
        ASSERT_TRUE(db.ok());
        ASSERT_TRUE(db->exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    }
    {
        // Keep the header, overwrite every page after the first with garbage.
        std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
        out.seekp(100);
        const std::string garbage(16384, '\xa5');
        out.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    auto db = Database::open(file, cache_schema());
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_EQ(db->notices().size(), 1u) << "expected a notice";
    EXPECT_EQ(moved_files(temp.path(), "corrupt").size(), 1u);
    EXPECT_EQ(*db->integrity_check(), "ok");
}

TEST(Database, MovesAForeignSqliteFileAside) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "cache.db";
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
        ASSERT_TRUE(
            exec(raw, "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('x')").ok());
        sqlite3_close(raw);
    }
    auto db = Database::open(file, cache_schema());
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_EQ(db->notices().size(), 1u);
    EXPECT_NE(db->notices()[0].find("not mailbridge's"), std::string::npos) << db->notices()[0];
    EXPECT_EQ(moved_files(temp.path(), "foreign").size(), 1u);
    // Our tables next to foreign ones, with an old version: also foreign.
    ASSERT_TRUE(db->exec("CREATE TABLE users (name TEXT)").ok());
    auto again = Database::open(file, cache_schema());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->notices().size(), 1u);
    EXPECT_EQ(moved_files(temp.path(), "foreign").size(), 2u);
}

TEST(Database, EmptyExistingFileIsInitialised) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "cache.db";
    std::ofstream{file};
    auto db = Database::open(file, cache_schema());
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_TRUE(db->notices().empty());
}

TEST(Database, ReportsAnUncreatableDirectory) {
    testing::TempDir temp;
    std::ofstream(temp.path() / "file") << "x";
    auto db = Database::open(temp.path() / "file" / "sub" / "cache.db", cache_schema());
    ASSERT_FALSE(db.ok());
    EXPECT_NE(db.error().message.find("cannot create"), std::string::npos) << db.error().message;
}

}  // namespace
}  // namespace mb::store

namespace mb::store {
namespace {

// Read-only opening (the CLI beside a running daemon) never changes or moves the file.
TEST(DatabaseReadOnly, ReadsAnUpToDateFileAndRefusesWrites) {
    testing::TempDir temp;
    const fs::path file = temp.path() / "cache.db";
    {
        auto db = Database::open(file, cache_schema());
        ASSERT_TRUE(db.ok());
        ASSERT_TRUE(db->exec("INSERT INTO logins (account, login) VALUES ('a', 'b')").ok());
    }
    auto db = Database::open_read_only(file, cache_schema());
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto rows = Statement::prepare(db->handle(), "SELECT COUNT(*) FROM logins");
    ASSERT_TRUE(rows->step().ok());
    EXPECT_EQ(rows->int64(0), 1);
    EXPECT_FALSE(db->exec("INSERT INTO logins (account, login) VALUES ('c', 'd')").ok());
}

TEST(DatabaseReadOnly, ExplainsEveryFileItWillNotRead) {
    testing::TempDir temp;
    const fs::path missing = temp.path() / "missing.db";
    auto none = Database::open_read_only(missing, cache_schema());
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message.find("does not exist"), std::string::npos);
    EXPECT_FALSE(fs::exists(missing));

    const fs::path text = temp.path() / "cache.db";
    { std::ofstream(text) << "this is not a database, just text long enough to be judged\n"; }
    auto garbage = Database::open_read_only(text, cache_schema());
    ASSERT_FALSE(garbage.ok());
    EXPECT_NE(garbage.error().message.find("not an SQLite database"), std::string::npos);
    EXPECT_TRUE(moved_files(temp.path(), "corrupt").empty());
    fs::remove(text);

    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(text.c_str(), &raw), SQLITE_OK);
        ASSERT_TRUE(exec(raw, "CREATE TABLE users (name TEXT)").ok());
        sqlite3_close(raw);
    }
    auto foreign = Database::open_read_only(text, cache_schema());
    ASSERT_FALSE(foreign.ok());
    EXPECT_NE(foreign.error().message.find("does not hold a mailbridge metadata cache"),
              std::string::npos)
        << foreign.error().message;
    EXPECT_TRUE(moved_files(temp.path(), "foreign").empty());
    fs::remove(text);

    {
        auto old = Database::open(
            text, Schema{"metadata cache", {cache_schema().steps[0]}, cache_schema().own_tables});
        ASSERT_TRUE(old.ok());
    }
    auto older = Database::open_read_only(text, cache_schema());
    ASSERT_FALSE(older.ok());
    EXPECT_NE(older.error().message.find("start the daemon once to migrate it"), std::string::npos);
    auto reopened = Database::open_read_only(
        text, Schema{"metadata cache", {cache_schema().steps[0]}, cache_schema().own_tables});
    ASSERT_TRUE(reopened.ok());
    EXPECT_EQ(*schema_version(reopened->handle()), 1);  // not migrated
}

}  // namespace
}  // namespace mb::store
