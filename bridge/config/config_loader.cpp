// The configuration loader (see config_loader.h): size and nesting guards, the TOML parse, then the
// top-level walk that hands each table to config_sections and finishes with config_cross_checks.
#include "bridge/config/config_loader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "bridge/config/config_cross_checks.h"
#include "bridge/config/config_sections.h"
#include "bridge/config/key_suggestion.h"
#include "bridge/config/toml_depth_guard.h"
#include "bridge/config/toml_table_reader.h"

namespace mb::config {
namespace {

constexpr std::string_view top_level_names[] = {"daemon", "server", "proxy", "account"};

LoadResult file_problem(const std::filesystem::path& source, std::string message) {
    LoadResult result;
    result.problems.push_back(Diagnostic{source.string(), 0, 0, std::move(message)});
    return result;
}

// Reads [[server]], [[proxy]] or [[account]]: each element of the array is one table.
template <typename Settings, typename ReadOne>
void read_table_array(const toml::node& node, std::string_view name,
                      const std::filesystem::path& base_dir, DiagnosticList& diagnostics,
                      std::vector<Settings>& items, std::vector<SectionPositions>& positions,
                      ReadOne read_one) {
    const std::string context = "[[" + std::string(name) + "]]";
    const auto* array = node.as_array();
    if (!array) {
        diagnostics.add(position_of(node.source()),
                        std::string(name) + " must be written " + context +
                            " (double brackets: one table per " + std::string(name) + ")");
        return;
    }
    for (const toml::node& element : *array) {
        const auto* table = element.as_table();
        if (!table) {
            diagnostics.add(position_of(element.source()), "each " + context +
                                                               " must be a table, e.g. " + context +
                                                               " followed by name = \"…\"");
            continue;
        }
        TableReader reader(*table, context, base_dir, diagnostics);
        items.push_back(read_one(reader));
        positions.push_back(reader.positions());
    }
}

void read_document(const toml::table& root, const std::filesystem::path& base_dir,
                   DiagnosticList& diagnostics, Config& config, ConfigPositions& positions) {
    for (auto&& [key, node] : root) {
        const std::string_view name = key.str();
        if (name == "daemon") {
            const auto* table = node.as_table();
            if (!table) {
                diagnostics.add(position_of(node.source()),
                                "daemon must be a single table: write [daemon]");
                continue;
            }
            TableReader reader(*table, "[daemon]", base_dir, diagnostics);
            config.daemon = read_daemon(reader, base_dir);
            positions.daemon = reader.positions();
        } else if (name == "server") {
            read_table_array(node, name, base_dir, diagnostics, config.servers, positions.servers,
                             [](TableReader& reader) { return read_server(reader); });
        } else if (name == "proxy") {
            read_table_array(node, name, base_dir, diagnostics, config.proxies, positions.proxies,
                             [](TableReader& reader) { return read_proxy(reader); });
        } else if (name == "account") {
            read_table_array(node, name, base_dir, diagnostics, config.accounts, positions.accounts,
                             [](TableReader& reader) { return read_account(reader); });
        } else {
            auto match = closest_match(name, top_level_names);
            std::string message = "unknown key \"" + std::string(name) + "\" at the top level";
            if (match)
                message += " (did you mean \"" + *match + "\"?)";
            else
                message +=
                    "; the top level holds only [daemon], [[server]], [[proxy]] and "
                    "[[account]]";
            diagnostics.add(position_of(key.source()), message);
        }
    }
}

}  // namespace

LoadResult load_config_text(std::string_view text, const std::filesystem::path& source) {
    if (text.size() > max_config_file_size)
        return file_problem(source, "the file is larger than " +
                                        std::to_string(max_config_file_size) +
                                        " bytes; this is not a mailbridge configuration");
    DiagnosticList diagnostics(source.string());
    if (auto deep = find_excessive_nesting(text)) {
        diagnostics.add(*deep, "tables, keys or arrays nest deeper than " +
                                   std::to_string(max_toml_nesting) +
                                   " levels; a mailbridge configuration needs at most 3");
        return LoadResult{std::nullopt, diagnostics.take()};
    }
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(source.native()));
    } catch (const toml::parse_error& error) {
        diagnostics.add(position_of(error.source()),
                        "not valid TOML: " + std::string(error.description()));
        return LoadResult{std::nullopt, diagnostics.take()};
    }

    std::error_code ignored;
    std::filesystem::path absolute = std::filesystem::absolute(source, ignored).lexically_normal();
    std::filesystem::path base_dir = absolute.parent_path();
    Config config;
    config.source = absolute;
    config.daemon = default_daemon_settings(base_dir);
    ConfigPositions positions;
    read_document(root, base_dir, diagnostics, config, positions);
    pass_secret_command_env(config);
    check_across_tables(config, positions, diagnostics);
    if (!diagnostics.empty()) return LoadResult{std::nullopt, diagnostics.take()};
    return LoadResult{std::move(config), {}};
}

LoadResult load_config_file(const std::filesystem::path& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file)
        return file_problem(
            path, "cannot open the configuration file: " + std::string(std::strerror(errno)) +
                      " (check the path given to --config and its permissions)");
    std::string text;
    char chunk[16384];
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) {
        text.append(chunk, n);
        if (text.size() > max_config_file_size) break;
    }
    if (std::ferror(file.get()))
        return file_problem(path, "cannot read the configuration file: " +
                                      std::string(std::strerror(errno)) + " (is it a directory?)");
    return load_config_text(text, path);
}

}  // namespace mb::config
