// Internal to mb_config: the checks that compare tables with each other — unique names, unique
// listen addresses (health_listen included), unique login patterns, and proxy names that exist.
#pragma once

#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/config/toml_table_reader.h"

namespace mb::config {

// Where each table and its keys sit, parallel to Config's vectors.
struct ConfigPositions {
    SectionPositions daemon;
    std::vector<SectionPositions> servers;
    std::vector<SectionPositions> proxies;
    std::vector<SectionPositions> accounts;
};

// Values left empty (or port 0) by an earlier problem are skipped, so nothing is reported twice.
void check_across_tables(const Config& config, const ConfigPositions& positions,
                         DiagnosticList& diagnostics);

}  // namespace mb::config
