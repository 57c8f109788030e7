// Schema-driven reads of one TOML table with diagnostics (see toml_table_reader.h).
#include "bridge/config/toml_table_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bridge/config/key_suggestion.h"
#include "bridge/config/secret_resolver.h"

namespace mb::config {
namespace {

std::string_view describe(toml::node_type type) {
    switch (type) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

std::string in_quotes(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

std::string join(std::span<const std::string_view> names, std::string_view separator) {
    std::string joined;
    for (std::string_view name : names) {
        if (!joined.empty()) joined += separator;
        joined += in_quotes(name);
    }
    return joined;
}

std::string suggestion(std::string_view word, std::span<const std::string_view> candidates) {
    auto match = closest_match(word, candidates);
    return match ? " (did you mean " + in_quotes(*match) + "?)" : std::string();
}

constexpr std::string_view relative_hint = "relative paths start at the config file's directory";

}  // namespace

void DiagnosticList::add(SourcePos at, std::string message) {
    if (list_.size() >= max_kept) {
        ++dropped_;
        return;
    }
    list_.push_back(Diagnostic{file_, at.line, at.column, std::move(message)});
}

std::vector<Diagnostic> DiagnosticList::take() {
    std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    if (dropped_ > 0)
        list_.push_back(Diagnostic{
            file_, 0, 0,
            std::to_string(dropped_) + " more problems not shown; fix the ones above first"});
    return std::move(list_);
}

SourcePos position_of(const toml::source_region& region) {
    return SourcePos{static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

SourcePos SectionPositions::of(std::string_view key) const {
    auto it = values.find(key);
    return it == values.end() ? table : it->second;
}

TableReader::TableReader(const toml::table& table, std::string context,
                         std::filesystem::path base_dir, DiagnosticList& diagnostics)
    : table_(table),
      context_(std::move(context)),
      base_dir_(std::move(base_dir)),
      diagnostics_(diagnostics) {}

const toml::node* TableReader::lookup(std::string_view key) {
    known_.emplace_back(key);
    return table_.get(key);
}

SourcePos TableReader::value_position(std::string_view key) const {
    const toml::node* node = table_.get(key);
    return node ? position_of(node->source()) : table_position();
}

SectionPositions TableReader::positions() const {
    SectionPositions result;
    result.table = table_position();
    for (auto&& [key, node] : table_)
        result.values[std::string(key.str())] = position_of(node.source());
    return result;
}

void TableReader::report(std::string_view key, std::string message) {
    failed_.emplace(key);
    report_at(value_position(key), std::move(message));
}

void TableReader::report_wrong_type(std::string_view key, const toml::node& node,
                                    std::string_view wanted) {
    report(key, std::string(key) + " in " + context_ + " must be " + std::string(wanted) +
                    ", not " + std::string(describe(node.type())));
}

std::optional<std::string> TableReader::string(std::string_view key) {
    const toml::node* node = lookup(key);
    if (!node) return std::nullopt;
    if (const auto* text = node->as_string()) return text->get();
    report_wrong_type(key, *node, "a string");
    return std::nullopt;
}

std::optional<int> TableReader::integer(std::string_view key, int min, int max,
                                        std::string_view unit) {
    const toml::node* node = lookup(key);
    if (!node) return std::nullopt;
    const auto* value = node->as_integer();
    if (!value) {
        report_wrong_type(key, *node, "an integer (" + std::string(unit) + ")");
        return std::nullopt;
    }
    int64_t number = value->get();
    if (number < min || number > max) {
        report(key, std::string(key) + " = " + std::to_string(number) + " is out of range; use " +
                        std::to_string(min) + " to " + std::to_string(max) + " " +
                        std::string(unit));
        return std::nullopt;
    }
    return static_cast<int>(number);
}

std::optional<bool> TableReader::boolean(std::string_view key) {
    const toml::node* node = lookup(key);
    if (!node) return std::nullopt;
    if (const auto* value = node->as_boolean()) return value->get();
    report_wrong_type(key, *node, "true or false");
    return std::nullopt;
}

std::optional<std::vector<std::string>> TableReader::string_list(std::string_view key) {
    const toml::node* node = lookup(key);
    if (!node) return std::nullopt;
    const auto* array = node->as_array();
    if (!array) {
        report_wrong_type(key, *node, "an array of strings, e.g. [\"a\", \"b\"]");
        return std::nullopt;
    }
    std::vector<std::string> result;
    bool all_strings = true;
    for (const toml::node& element : *array) {
        if (const auto* text = element.as_string()) {
            result.push_back(text->get());
        } else {
            failed_.emplace(key);
            report_at(position_of(element.source()), "each entry of " + std::string(key) + " in " +
                                                         context_ + " must be a string, not " +
                                                         std::string(describe(element.type())));
            all_strings = false;
        }
    }
    if (!all_strings) return std::nullopt;
    return result;
}

std::optional<std::size_t> TableReader::choice_index(std::string_view key,
                                                     std::span<const std::string_view> names) {
    const toml::node* node = lookup(key);
    if (!node) return std::nullopt;
    const auto* text = node->as_string();
    if (!text) {
        report_wrong_type(key, *node, "one of " + join(names, ", "));
        return std::nullopt;
    }
    const std::string& value = text->get();
    auto it = std::find(names.begin(), names.end(), value);
    if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
    report(key, std::string(key) + " = " + in_quotes(value) + " in " + context_ +
                    " is not allowed; use one of " + join(names, ", ") + suggestion(value, names));
    return std::nullopt;
}

std::optional<std::filesystem::path> TableReader::path(std::string_view key) {
    auto text = string(key);
    if (!text) return std::nullopt;
    if (text->empty()) return std::filesystem::path();
    return (base_dir_ / *text).lexically_normal();
}

std::optional<std::filesystem::path> TableReader::existing_file(std::string_view key,
                                                                std::string_view what_it_is) {
    auto resolved = path(key);
    if (!resolved || resolved->empty()) return resolved;
    struct stat info {};
    std::string problem;
    if (::stat(resolved->c_str(), &info) != 0) {
        problem = "cannot be found: " + std::string(std::strerror(errno));
    } else if (!S_ISREG(info.st_mode)) {
        problem = "is not a regular file";
    } else if (::access(resolved->c_str(), R_OK) != 0) {
        problem = "is not readable: " + std::string(std::strerror(errno));
    }
    if (!problem.empty()) {
        report(key, std::string(key) + " " + resolved->string() + " (" + std::string(what_it_is) +
                        ") " + problem + " (check the path; " + std::string(relative_hint) + ")");
    }
    return resolved;
}

std::optional<SecretSource> TableReader::secret(std::string_view key, bool allow_hash) {
    const toml::node* node = lookup(key);
    if (!node) return std::nullopt;
    std::optional<SecretSource> source;
    if (const auto* text = node->as_string()) {
        source.emplace();
        if (!text->get().empty()) {
            source->kind = SecretSource::Kind::literal;
            source->literal = text->get();
        }
    } else if (const auto* table = node->as_table()) {
        source = secret_from_table(key, *table, allow_hash);
    } else {
        report_wrong_type(key, *node,
                          allow_hash ? "a string or a table such as { hash = \"…\" } or "
                                       "{ env = \"NAME\" }"
                                     : "a string or a table such as { env = \"NAME\" }");
    }
    return source;
}

std::optional<SecretSource> TableReader::secret_from_table(std::string_view key,
                                                           const toml::table& table,
                                                           bool allow_hash) {
    static constexpr std::string_view with_hash[] = {"env", "file", "command", "hash"};
    const std::span<const std::string_view> forms =
        allow_hash ? std::span<const std::string_view>(with_hash)
                   : std::span<const std::string_view>(with_hash).first(3);
    const std::string where = "the secret " + std::string(key) + " in " + context_;
    const std::string one_of = "give exactly one of " + join(forms, ", ");

    std::optional<SecretSource> source;
    bool broken = false;
    for (auto&& [name_key, value] : table) {
        std::string_view name = name_key.str();
        SourcePos key_at = position_of(name_key.source());
        SourcePos value_at = position_of(value.source());
        if (std::find(forms.begin(), forms.end(), name) == forms.end()) {
            if (name == "hash") {
                report_at(key_at,
                          "\"hash\" is accepted only for local_password; use env, file or "
                          "command for " +
                              std::string(key));
            } else {
                report_at(key_at, "unknown key " + in_quotes(name) + " in " + where +
                                      suggestion(name, forms) + "; " + one_of);
            }
            broken = true;
            continue;
        }
        if (source) {
            report_at(key_at, where + " has more than one source; " + one_of);
            broken = true;
            continue;
        }
        SecretSource parsed;
        if (name == "command") {
            const auto* array = value.as_array();
            bool valid = array && !array->empty();
            if (valid)
                for (const toml::node& element : *array)
                    valid = valid && element.is_string() && !element.as_string()->get().empty();
            if (!valid) {
                report_at(value_at, "command in " + where +
                                        " must be a non-empty array of non-empty strings, e.g. "
                                        "[\"pass\", \"show\", \"mail/alice\"]");
                broken = true;
                continue;
            }
            parsed.kind = SecretSource::Kind::command;
            for (const toml::node& element : *array)
                parsed.command.push_back(element.as_string()->get());
            if (parsed.command.front().find('/') != std::string::npos)
                parsed.command.front() = (base_dir_ / parsed.command.front()).lexically_normal();
        } else {
            const auto* text = value.as_string();
            if (!text || text->get().empty()) {
                report_at(value_at,
                          std::string(name) + " in " + where + " must be a non-empty string");
                broken = true;
                continue;
            }
            if (name == "env") {
                parsed.kind = SecretSource::Kind::env;
                parsed.env_name = text->get();
            } else if (name == "file") {
                parsed.kind = SecretSource::Kind::file;
                parsed.file = (base_dir_ / text->get()).lexically_normal();
            } else {
                parsed.kind = SecretSource::Kind::hash;
                parsed.literal = text->get();
            }
        }
        if (auto available = check_secret_available(parsed); !available) {
            failed_.emplace(key);
            report_at(value_at,
                      std::string(key) + " in " + context_ + ": " + available.error().message);
        }
        source = std::move(parsed);
    }
    if (!source && !broken) report(key, where + " is an empty table; " + one_of);
    if (broken) {
        failed_.emplace(key);
        return std::nullopt;
    }
    return source;
}

void TableReader::report_unknown_keys() {
    std::vector<std::string_view> candidates(known_.begin(), known_.end());
    for (auto&& [key, value] : table_) {
        std::string_view name = key.str();
        if (std::find(candidates.begin(), candidates.end(), name) != candidates.end()) continue;
        std::string hint = suggestion(name, candidates);
        if (hint.empty()) hint = "; config/mailbridge.example.toml lists every key";
        report_at(position_of(key.source()),
                  "unknown key " + in_quotes(name) + " in " + context_ + hint);
    }
}

}  // namespace mb::config
