// Database implementation: open with a bounded retry (once after moving a bad file aside), the
// pragmas, classification of the file's tables and the migration.
#include "store/database.h"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <utility>

#include "store/statement.h"

namespace mb::store {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSqliteMagic{"SQLite format 3\0", 16};

std::string utc_stamp() {
    const std::time_t now = std::time(nullptr);
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &parts);
    return text;
}

Result<void> ensure_directory(const fs::path& dir) {
    if (dir.empty()) return {};
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return {};
    if (dir.has_parent_path()) {
        fs::create_directories(dir.parent_path(), ec);
        if (ec)
            return make_error("cannot create directory " + dir.parent_path().string() + ": " +
                              ec.message() + "; check the state_dir setting and permissions");
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return make_error("cannot create directory " + dir.string() + ": " + std::strerror(errno) +
                          "; check the state_dir setting and permissions");
    return {};
}

Result<void> ensure_file(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return make_error("cannot create database file " + file.string() + ": " +
                          std::strerror(errno) + "; check permissions of its directory");
    ::fchmod(fd, 0600);
    ::close(fd);
    return {};
}

// Whether the file starts like an SQLite database (an empty file is fine: SQLite fills it).
bool looks_like_sqlite(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string head(kSqliteMagic.size(), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    const auto got = in.gcount();
    return got == 0 || (got == static_cast<std::streamsize>(head.size()) && head == kSqliteMagic);
}

// What went wrong with a file, when it should be moved aside rather than reported.
struct Unusable {
    std::string reason;  // "corrupt" or "foreign"
    std::string detail;
};

class Opener {
  public:
    Opener(fs::path file, const Schema& schema, Database::Options options)
        : file_(std::move(file)), schema_(schema), options_(options) {}

    // The connection, an Unusable verdict, or a hard error.
    Result<std::pair<sqlite3*, std::optional<Unusable>>> attempt() {
        auto made = ensure_file(file_);
        if (!made) return made.error();
        if (!looks_like_sqlite(file_))
            return std::pair<sqlite3*, std::optional<Unusable>>{
                nullptr, Unusable{"corrupt", "it is not an SQLite database"}};
        sqlite3* db = nullptr;
        const int rc = sqlite3_open_v2(file_.c_str(), &db,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
            sqlite3_close_v2(db);
            return make_error("cannot open database " + file_.string() + ": " + reason);
        }
        sqlite3_busy_timeout(db, static_cast<int>(options_.busy_timeout.count()));
        auto verdict = configure(db);
        if (!verdict.ok() || verdict->has_value()) {
            sqlite3_close_v2(db);
            if (!verdict) return verdict.error();
            return std::pair<sqlite3*, std::optional<Unusable>>{nullptr, std::move(**verdict)};
        }
        return std::pair<sqlite3*, std::optional<Unusable>>{db, std::nullopt};
    }

  private:
    static bool is_corruption(sqlite3* db) {
        const int code = sqlite3_errcode(db);
        return code == SQLITE_NOTADB || code == SQLITE_CORRUPT;
    }

    Result<std::optional<Unusable>> configure(sqlite3* db) {
        auto corrupt = [db](const Error& error) -> Result<std::optional<Unusable>> {
            if (is_corruption(db))
                return std::optional<Unusable>(Unusable{"corrupt", error.message});
            return error;
        };
        if (auto wal = exec(db, "PRAGMA journal_mode = WAL"); !wal) return corrupt(wal.error());
        if (options_.check_integrity) {
            auto check = Statement::prepare(db, "PRAGMA quick_check");
            if (!check) return corrupt(check.error());
            auto row = check->step();
            if (!row) return corrupt(row.error());
            if (*row && check->bytes(0) != "ok")
                return std::optional<Unusable>(Unusable{"corrupt", check->bytes(0)});
        }
        for (std::string_view pragma : {"PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"})
            if (auto set = exec(db, pragma); !set) return set.error();
        auto kind = classify(db, schema_);
        if (!kind) return corrupt(kind.error());
        if (*kind == FileKind::Foreign)
            return std::optional<Unusable>(
                Unusable{"foreign", "it holds tables that are not mailbridge's " + schema_.name});
        auto migrated = migrate(db, schema_);
        if (!migrated) return corrupt(migrated.error());
        return std::optional<Unusable>();
    }

    fs::path file_;
    const Schema& schema_;
    Database::Options options_;
};

}  // namespace

Result<fs::path> move_aside(const fs::path& file, std::string_view reason) {
    const std::string suffix = "." + std::string(reason) + "-" + utc_stamp();
    fs::path target = file.string() + suffix;
    for (int n = 1; fs::exists(target); ++n)
        target = file.string() + suffix + "-" + std::to_string(n);
    std::error_code ec;
    fs::rename(file, target, ec);
    if (ec)
        return make_error("cannot move " + file.string() + " aside to " + target.string() + ": " +
                          ec.message() + "; move or delete it by hand");
    for (const char* companion : {"-wal", "-shm"}) {
        const fs::path from = file.string() + companion;
        if (fs::exists(from, ec)) fs::rename(from, target.string() + companion, ec);
    }
    return target;
}

Result<Database> Database::open(const fs::path& file, const Schema& schema, Options options) {
    auto dir = ensure_directory(file.parent_path());
    if (!dir) return dir.error();
    Opener opener(file, schema, options);
    std::vector<std::string> notices;
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto opened = opener.attempt();
        if (!opened) return opened.error();
        if (opened->first != nullptr) {
            Database database(opened->first, file);
            database.notices_ = std::move(notices);
            return database;
        }
        const Unusable& unusable = *opened->second;
        auto moved = move_aside(file, unusable.reason);
        if (!moved) return moved.error();
        notices.push_back("the " + schema.name + " database " + file.string() + " was unusable (" +
                          unusable.detail + "); moved it to " + moved->string() +
                          " and started a new one");
    }
    return make_error("the " + schema.name + " database " + file.string() +
                      " is still unusable after moving the old file aside; check the disk and "
                      "the directory's permissions");
}

Result<Database> Database::open_read_only(const fs::path& file, const Schema& schema,
                                          std::chrono::milliseconds busy_timeout) {
    std::error_code ec;
    if (!fs::exists(file, ec))
        return make_error("the " + schema.name + " database " + file.string() + " does not exist");
    if (!looks_like_sqlite(file))
        return make_error(file.string() +
                          " is not an SQLite database; the daemon moves it aside and starts a "
                          "new one at its next start");
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        return make_error("cannot open " + file.string() + " for reading: " + reason);
    }
    Database database(db, file);
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
    if (auto query_only = database.exec("PRAGMA query_only = ON"); !query_only)
        return query_only.error();
    auto kind = classify(db, schema);
    if (!kind) return make_error("cannot read " + file.string() + ": " + kind.error().message);
    if (*kind != FileKind::Ours)
        return make_error(file.string() + " does not hold a mailbridge " + schema.name +
                          (*kind == FileKind::Empty ? " yet" : "") +
                          "; check state_dir in the configuration");
    auto version = schema_version(db);
    if (!version)
        return make_error("cannot read " + file.string() + ": " + version.error().message);
    if (*version < schema.version())
        return make_error(file.string() + " has schema version " + std::to_string(*version) +
                          "; this mailbridge reads version " + std::to_string(schema.version()) +
                          " — start the daemon once to migrate it");
    if (*version > schema.version())
        return make_error(file.string() + " has schema version " + std::to_string(*version) +
                          ", newer than this mailbridge (" + std::to_string(schema.version()) +
                          ") understands; upgrade mailbridge");
    return database;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      file_(std::move(other.file_)),
      notices_(std::move(other.notices_)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
        file_ = std::move(other.file_);
        notices_ = std::move(other.notices_);
    }
    return *this;
}

Database::~Database() {
    sqlite3_close_v2(db_);
}

Result<void> Database::exec(std::string_view sql) const {
    return store::exec(db_, sql);
}

Result<std::string> Database::integrity_check() const {
    auto check = Statement::prepare(db_, "PRAGMA integrity_check");
    if (!check) return check.error();
    std::string findings;
    for (int lines = 0; lines < 10; ++lines) {
        auto row = check->step();
        if (!row) return row.error();
        if (!*row) break;
        if (!findings.empty()) findings.append("; ");
        findings.append(check->bytes(0));
    }
    return findings;
}

}  // namespace mb::store
