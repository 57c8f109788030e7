// The rule behind `mailbridge status`'s exit status and its table, on /readyz documents.
#include "bridge/cli/status_command.h"

#include <gtest/gtest.h>

namespace mb::cli {
namespace {

using Json = nlohmann::json;

Json sample() {
    return Json::parse(R"({
      "ready": true, "version": "1.2.3", "uptime_seconds": 7260,
      "listeners": [{"name": "imap", "protocol": "imap", "address": "127.0.0.1:1143", "up": true,
                     "error": null, "upstream": "outlook.office365.com:993", "sessions": 4}],
      "accounts": [{"name": "alice", "login": "alice@example.com", "token_state": "valid",
                    "token_valid_until": 1003600, "last_login_result": "ok",
                    "last_login_time": 999990, "last_error": null},
                   {"name": "robot", "login": "", "token_state": "unknown",
                    "token_valid_until": null, "last_login_result": null,
                    "last_login_time": null, "last_error": null}],
      "proxies": [{"name": "corp", "url": "http://proxy:3128", "last_result": "ok",
                   "last_time": 999000, "last_latency_ms": 12.4, "last_error": null}],
      "cache": {"enabled": true, "accounts": [{"account": "alice", "rows": 1200,
                "write_last_seconds": 0.0042, "write_average_seconds": 0.0021}]}
    })");
}

TEST(StatusCommand, ReadyOnlyWhenListenersAreUpAndNoLoginIsStuck) {
    Json report = sample();
    EXPECT_TRUE(status_all_ready(report));
    report["accounts"][0]["token_state"] = "needs_authorization";
    EXPECT_FALSE(status_all_ready(report));
    report = sample();
    report["accounts"][1]["token_state"] = "failing";
    EXPECT_FALSE(status_all_ready(report));
    report = sample();
    report["listeners"][0]["up"] = false;
    EXPECT_FALSE(status_all_ready(report));
    report = sample();
    report["backoff"] = Json::array({{{"account", "alice"},
                                      {"upstream", "imap.example:993"},
                                      {"proxy", "direct"},
                                      {"failures", 3},
                                      {"retry_in_seconds", 3.5},
                                      {"last_error", "connection refused"}}});
    EXPECT_FALSE(status_all_ready(report));
    EXPECT_NE(status_table(report, 1'000'000, "x")
                  .find("alice    imap.example:993  direct  3         4s"),
              std::string::npos)
        << status_table(report, 1'000'000, "x");
    report["backoff"][0]["retry_in_seconds"] = 0;
    EXPECT_TRUE(status_all_ready(report));
    EXPECT_FALSE(status_all_ready(Json::array()));
    EXPECT_TRUE(status_all_ready(Json::object()));
}

TEST(StatusCommand, TableShowsEverySection) {
    const std::string table = status_table(sample(), 1'000'000, "127.0.0.1:8025");
    EXPECT_NE(table.find("mailbridge 1.2.3 at 127.0.0.1:8025, up 2h1m: all ready"),
              std::string::npos)
        << table;
    EXPECT_NE(
        table.find("imap      imap      127.0.0.1:1143  outlook.office365.com:993  4         up"),
        std::string::npos)
        << table;
    EXPECT_NE(table.find("alice    alice@example.com  ready         60m         ok, 10s ago"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("robot    (all logins)       not used yet"), std::string::npos) << table;
    EXPECT_NE(table.find("corp   http://proxy:3128  ok           12 ms    16m ago"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("alice  1200  4.2 ms"), std::string::npos) << table;
}

TEST(StatusCommand, TableCopesWithMissingSections) {
    const std::string table = status_table(Json::object(), 0, "[::1]:8025");
    EXPECT_NE(table.find("mailbridge - at [::1]:8025, up 0s: all ready"), std::string::npos)
        << table;
    Json off = Json::object();
    off["cache"] = {{"enabled", false}};
    EXPECT_NE(status_table(off, 0, "x").find("cache: off"), std::string::npos);
}

TEST(StatusCommand, TableShowsClientControlledTextEscaped) {
    Json readyz = sample();
    readyz["accounts"][0]["login"] = "a\x1b[31m\n<3>forged\u009b\u007f";
    readyz["accounts"][0]["last_error"] = "wrong password for \x1b]0;owned\x07";
    const std::string table = status_table(readyz, 1'000'000, "127.0.0.1:8025");
    EXPECT_EQ(table.find('\x1b'), std::string::npos) << table;
    EXPECT_EQ(table.find("\n<3>"), std::string::npos) << table;
    EXPECT_EQ(table.find("\xc2\x9b"), std::string::npos) << table;
    EXPECT_NE(table.find("a\\x1b[31m\\n<3>forged\\xc2\\x9b\\x7f"), std::string::npos) << table;
    EXPECT_NE(table.find("wrong password for \\x1b]0;owned\\x07"), std::string::npos) << table;
    readyz["accounts"][0]["login"] = "already\\x1b escaped";  // as the daemon sends it
    EXPECT_NE(status_table(readyz, 1'000'000, "x").find("already\\x1b escaped "),
              std::string::npos);
}

}  // namespace
}  // namespace mb::cli
