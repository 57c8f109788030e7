// Tests for how `mailbridge test` prints its reports: the table marks the failing step and names
// it in the verdict, the JSON keeps step names and times, and an empty run is not a pass.
#include "bridge/cli/test_command.h"

#include <gtest/gtest.h>

namespace mb::cli {
namespace {

session::ProbeReport passing() {
    session::ProbeReport report;
    report.server = "imaps";
    report.steps = {{"resolve", true, 0.2, "imap.example.com → 192.0.2.1"},
                    {"tcp_connect", true, 1.5, "imap.example.com:993"},
                    {"tls", true, 12.25, "TLSv1.3, CN = imap.example.com"},
                    {"greeting", true, 3, ""},
                    {"token", true, 40, "obtained, expires in 3599 s"},
                    {"authenticate", true, 20, "XOAUTH2 as a@example.com"},
                    {"logout", true, 1, "x OK"}};
    return report;
}

session::ProbeReport failing_at_tls() {
    session::ProbeReport report;
    report.server = "untrusted";
    report.steps = {{"resolve", true, 0.2, "h → 192.0.2.1"},
                    {"tcp_connect", true, 1, "h:993"},
                    {"tls", false, 4, "acme: TLS handshake failed: certificate verify failed"}};
    return report;
}

TEST(TestCommandOutput, TableListsEveryStepAndTheVerdict) {
    auto table = test_table("acme", "a@example.com", {passing(), failing_at_tls()},
                            {"server imaps: IMAP upstream h:993", "server untrusted: …"});
    EXPECT_NE(table.find("  ok    TLS handshake  12.2 ms    TLSv1.3, CN = imap.example.com\n"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("  ok    greeting       3.0 ms\n"), std::string::npos) << table;
    EXPECT_NE(table.find("  PASSED in 78.0 ms"), std::string::npos) << table;
    EXPECT_NE(table.find("  FAIL  TLS handshake  4.0 ms     acme: TLS handshake failed"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("  FAILED at TLS handshake after 5.2 ms"), std::string::npos) << table;
}

TEST(TestCommandOutput, JsonKeepsStepNamesTimesAndTheOverallResult) {
    auto json = test_json("acme", "a@example.com", {passing(), failing_at_tls()});
    EXPECT_FALSE(json["ok"].get<bool>());
    ASSERT_EQ(json["servers"].size(), 2u);
    EXPECT_TRUE(json["servers"][0]["ok"].get<bool>());
    EXPECT_EQ(json["servers"][1]["steps"][2]["step"], "tls");
    EXPECT_FALSE(json["servers"][1]["steps"][2]["ok"].get<bool>());
    EXPECT_DOUBLE_EQ(json["servers"][0]["steps"][2]["milliseconds"].get<double>(), 12.25);
    EXPECT_TRUE(test_json("acme", "a", {passing()})["ok"].get<bool>());
    EXPECT_FALSE(test_json("acme", "a", {})["ok"].get<bool>());
    EXPECT_FALSE(session::ProbeReport{}.ok());
}

}  // namespace
}  // namespace mb::cli
