// Internal to mb_config (pulls in toml++; include it only from this module's .cpp files).
// TableReader reads one TOML table against the schema: every typed read names a key it knows and
// reports wrong types and values at that key's line:column; report_unknown_keys() then flags every
// key nobody read, with a "did you mean" suggestion. DiagnosticList collects what they find.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/config/diagnostic.h"

namespace mb::config {

// Keeps the first max_kept problems (hostile files can have millions); the rest are counted and
// summed up in one last diagnostic.
class DiagnosticList {
  public:
    static constexpr std::size_t max_kept = 1000;

    explicit DiagnosticList(std::string file) : file_(std::move(file)) {}
    void add(SourcePos at, std::string message);
    bool empty() const { return list_.empty(); }
    // Sorted by place in the file (stable for problems at the same place).
    std::vector<Diagnostic> take();

  private:
    std::string file_;
    std::vector<Diagnostic> list_;
    std::size_t dropped_ = 0;
};

SourcePos position_of(const toml::source_region& region);

// Where each key of one table sits, for checks that compare tables with each other.
struct SectionPositions {
    SourcePos table;
    std::map<std::string, SourcePos, std::less<>> values;
    // The value's place, or the table's when the key is absent.
    SourcePos of(std::string_view key) const;
};

class TableReader {
  public:
    // context names the table in messages, e.g. "[daemon]" or "[[server]]"; base_dir is where
    // relative paths start (the config file's directory).
    TableReader(const toml::table& table, std::string context, std::filesystem::path base_dir,
                DiagnosticList& diagnostics);

    // Each read returns nullopt when the key is absent or its value is wrong (then reported).
    std::optional<std::string> string(std::string_view key);
    std::optional<int> integer(std::string_view key, int min, int max, std::string_view unit);
    std::optional<bool> boolean(std::string_view key);
    std::optional<std::vector<std::string>> string_list(std::string_view key);
    // One of names; an unknown value is reported with the allowed ones. Returns its index.
    std::optional<std::size_t> choice_index(std::string_view key,
                                            std::span<const std::string_view> names);
    // A path resolved against base_dir; "" stays empty.
    std::optional<std::filesystem::path> path(std::string_view key);
    // Like path(), and a non-empty one must name a readable regular file.
    std::optional<std::filesystem::path> existing_file(std::string_view key,
                                                       std::string_view what_it_is);
    // Any secret form; { hash = "…" } only when allow_hash. "" gives Kind::none. The source must
    // be available (see check_secret_available) or that is reported too.
    std::optional<SecretSource> secret(std::string_view key, bool allow_hash);

    // Whether key is present; like every read, it makes key a known key.
    bool has(std::string_view key) { return lookup(key) != nullptr; }
    const std::string& context() const { return context_; }
    SourcePos table_position() const { return position_of(table_.source()); }
    SourcePos value_position(std::string_view key) const;
    SectionPositions positions() const;
    // Reports a problem with key at its value (or at the table when absent) and marks it failed.
    void report(std::string_view key, std::string message);
    void report_at(SourcePos at, std::string message) { diagnostics_.add(at, std::move(message)); }
    // True once a problem was reported for key: checks that depend on it skip, so one mistake
    // gives one diagnostic.
    bool failed(std::string_view key) const { return failed_.contains(key); }
    // Reports every key that no read asked for. Call once, after all reads.
    void report_unknown_keys();

  private:
    const toml::node* lookup(std::string_view key);
    void report_wrong_type(std::string_view key, const toml::node& node, std::string_view wanted);
    std::optional<SecretSource> secret_from_table(std::string_view key, const toml::table& table,
                                                  bool allow_hash);

    const toml::table& table_;
    std::string context_;
    std::filesystem::path base_dir_;
    DiagnosticList& diagnostics_;
    std::vector<std::string> known_;
    std::set<std::string, std::less<>> failed_;
};

}  // namespace mb::config
