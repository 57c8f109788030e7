// `mailbridge test ACCOUNT [--login USER] [--server NAME] [--json] --config FILE`: the "Test
// connection" button. Runs each [[server]]'s upstream chain once for the account (a
// ConnectionProbe per server, one after the other, without a daemon and beside a running one)
// and prints every step with its time. Exit 0 when every step passed, 1 when one failed (marked,
// with the reason a client would get), 2 for a usage or configuration error.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/session/connection_probe.h"

namespace mb::cli {

struct TestOptions {
    std::string account;
    std::optional<std::string> login;
    std::optional<std::string> server;
    bool json = false;
};

int test_command(const std::filesystem::path& config_path, const TestOptions& options);

// The printed forms of the reports (for the command and its unit tests).
std::string test_table(const std::string& account, const std::string& login,
                       const std::vector<session::ProbeReport>& reports,
                       const std::vector<std::string>& server_lines);
nlohmann::json test_json(const std::string& account, const std::string& login,
                         const std::vector<session::ProbeReport>& reports);

}  // namespace mb::cli
