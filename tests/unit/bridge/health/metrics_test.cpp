// Tests for the metrics registry and the typed Metrics facade: exact Prometheus text (HELP/TYPE,
// label escaping, deterministic order, histogram buckets) and programming errors that throw.
#include "bridge/health/metrics.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

namespace {

using mb::health::Direction;
using mb::health::LoginResult;
using mb::health::Metrics;
using mb::health::MetricsRegistry;
using mb::health::TokenRefreshResult;

template <typename... Views>
std::array<std::string_view, sizeof...(Views)> labels(Views... values) {
    return {std::string_view(values)...};
}

TEST(MetricsRegistry, RendersCountersAndGaugesInOrder) {
    MetricsRegistry registry;
    registry.add_gauge("mailbridge_b", "Gauge b.", {"server"});
    registry.add_counter("mailbridge_a_total", "Counter a.", {"server", "result"});
    registry.add("mailbridge_a_total", labels("pop3", "ok"), 2);
    registry.add("mailbridge_a_total", labels("imap", "ok"), 1);
    registry.add("mailbridge_a_total", labels("imap", "failed"), 1);
    registry.set("mailbridge_b", labels("imap"), 0.25);
    registry.add("mailbridge_b", labels("imap"), -1);
    EXPECT_EQ(registry.render(),
              "# HELP mailbridge_a_total Counter a.\n"
              "# TYPE mailbridge_a_total counter\n"
              "mailbridge_a_total{server=\"imap\",result=\"failed\"} 1\n"
              "mailbridge_a_total{server=\"imap\",result=\"ok\"} 1\n"
              "mailbridge_a_total{server=\"pop3\",result=\"ok\"} 2\n"
              "# HELP mailbridge_b Gauge b.\n"
              "# TYPE mailbridge_b gauge\n"
              "mailbridge_b{server=\"imap\"} -0.75\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
    MetricsRegistry registry;
    registry.add_counter("mailbridge_x_total", "Help with \\ and\nnewline \"quoted\".",
                         {"account"});
    registry.add("mailbridge_x_total", labels("a\\b\"c\nd"), 1);
    EXPECT_EQ(registry.render(),
              "# HELP mailbridge_x_total Help with \\\\ and\\nnewline \"quoted\".\n"
              "# TYPE mailbridge_x_total counter\n"
              "mailbridge_x_total{account=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsRegistry, RendersUnlabelledAndSpecialValues) {
    MetricsRegistry registry;
    registry.add_gauge("mailbridge_g", "G.", {});
    registry.set("mailbridge_g", {}, INFINITY);
    EXPECT_NE(registry.render().find("\nmailbridge_g +Inf\n"), std::string::npos);
    registry.set("mailbridge_g", {}, -INFINITY);
    EXPECT_NE(registry.render().find("\nmailbridge_g -Inf\n"), std::string::npos);
    registry.set("mailbridge_g", {}, NAN);
    EXPECT_NE(registry.render().find("\nmailbridge_g NaN\n"), std::string::npos);
    registry.set("mailbridge_g", {}, 12345678901.0);
    EXPECT_NE(registry.render().find("\nmailbridge_g 12345678901\n"), std::string::npos);
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
    MetricsRegistry registry;
    registry.add_histogram("mailbridge_h_seconds", "H.", {"server"}, {0.1, 1});
    registry.observe("mailbridge_h_seconds", labels("imap"), 0.1);  // on the bound: le="0.1"
    registry.observe("mailbridge_h_seconds", labels("imap"), 0.5);
    registry.observe("mailbridge_h_seconds", labels("imap"), 30);
    registry.observe("mailbridge_h_seconds", labels("imap"), NAN);  // ignored
    EXPECT_EQ(registry.render(),
              "# HELP mailbridge_h_seconds H.\n"
              "# TYPE mailbridge_h_seconds histogram\n"
              "mailbridge_h_seconds_bucket{server=\"imap\",le=\"0.1\"} 1\n"
              "mailbridge_h_seconds_bucket{server=\"imap\",le=\"1\"} 2\n"
              "mailbridge_h_seconds_bucket{server=\"imap\",le=\"+Inf\"} 3\n"
              "mailbridge_h_seconds_sum{server=\"imap\"} 30.6\n"
              "mailbridge_h_seconds_count{server=\"imap\"} 3\n");
}

TEST(MetricsRegistry, TouchCreatesZeroSeries) {
    MetricsRegistry registry;
    registry.add_counter("mailbridge_c_total", "C.", {"server"});
    registry.touch("mailbridge_c_total", labels("smtp"));
    EXPECT_NE(registry.render().find("mailbridge_c_total{server=\"smtp\"} 0\n"), std::string::npos);
}

TEST(MetricsRegistry, ProgrammingErrorsThrow) {
    MetricsRegistry registry;
    registry.add_counter("mailbridge_c_total", "C.", {"server"});
    registry.add_gauge("mailbridge_g", "G.", {});
    EXPECT_THROW(registry.add_counter("mailbridge_c_total", "again", {}), std::logic_error);
    EXPECT_THROW(registry.add_counter("bad name", "x", {}), std::logic_error);
    EXPECT_THROW(registry.add_counter("9starts_with_digit", "x", {}), std::logic_error);
    EXPECT_THROW(registry.add_counter("mailbridge_l", "x", {"__reserved"}), std::logic_error);
    EXPECT_THROW(registry.add_counter("mailbridge_l2", "x", {"a-b"}), std::logic_error);
    EXPECT_THROW(registry.add_histogram("mailbridge_h", "x", {}, {1, 1}), std::logic_error);
    EXPECT_THROW(registry.add_histogram("mailbridge_h", "x", {}, {}), std::logic_error);
    EXPECT_THROW(registry.add_histogram("mailbridge_h", "x", {"le"}, {1}), std::logic_error);
    EXPECT_THROW(registry.add("mailbridge_unknown", {}, 1), std::logic_error);
    EXPECT_THROW(registry.add("mailbridge_c_total", labels("a", "b"), 1), std::logic_error);
    EXPECT_THROW(registry.add("mailbridge_c_total", labels("a"), -1), std::logic_error);
    EXPECT_THROW(registry.set("mailbridge_c_total", labels("a"), 1), std::logic_error);
    EXPECT_THROW(registry.observe("mailbridge_g", {}, 1), std::logic_error);
}

TEST(Metrics, FacadeCoversTheContract) {
    Metrics metrics;
    metrics.add_server("imap");
    metrics.add_account("alice");
    metrics.session_opened("imap");
    metrics.session_opened("imap");
    metrics.session_closed("imap");
    metrics.session_refused("imap");
    metrics.bytes("imap", Direction::client_to_upstream, 100);
    metrics.bytes("imap", Direction::upstream_to_client, 5000);
    metrics.login("imap", LoginResult::ok);
    metrics.login("imap", LoginResult::upstream_rejected);
    metrics.token_refresh("alice", TokenRefreshResult::needs_authorization);
    metrics.connect_latency("imap", 0.02);
    metrics.cache_rows("alice", 1234);
    metrics.upstream_backoff("alice", "imap.example:993", "corp", 3, 1700000060);
    metrics.upstream_backoff("alice", "imap.example:993", "", 1, 1700000001);
    std::string text = metrics.render();
    for (std::string expected : {
             "# TYPE mailbridge_sessions_active gauge\n",
             "mailbridge_sessions_active{server=\"imap\"} 1\n",
             "# TYPE mailbridge_sessions_total counter\n",
             "mailbridge_sessions_total{server=\"imap\"} 2\n",
             "mailbridge_sessions_refused_total{server=\"imap\"} 1\n",
             "mailbridge_bytes_total{server=\"imap\",direction=\"client_to_upstream\"} 100\n",
             "mailbridge_bytes_total{server=\"imap\",direction=\"upstream_to_client\"} 5000\n",
             "mailbridge_logins_total{server=\"imap\",result=\"ok\"} 1\n",
             "mailbridge_logins_total{server=\"imap\",result=\"upstream_rejected\"} 1\n",
             "mailbridge_token_refreshes_total{account=\"alice\",result=\"ok\"} 0\n",
             "mailbridge_token_refreshes_total{account=\"alice\",result=\"needs_authorization\"} "
             "1\n",
             "# TYPE mailbridge_upstream_connect_seconds histogram\n",
             "mailbridge_upstream_connect_seconds_bucket{server=\"imap\",le=\"0.01\"} 0\n",
             "mailbridge_upstream_connect_seconds_bucket{server=\"imap\",le=\"0.025\"} 1\n",
             "mailbridge_upstream_connect_seconds_bucket{server=\"imap\",le=\"10\"} 1\n",
             "mailbridge_upstream_connect_seconds_bucket{server=\"imap\",le=\"+Inf\"} 1\n",
             "mailbridge_upstream_connect_seconds_count{server=\"imap\"} 1\n",
             "# TYPE mailbridge_cache_rows gauge\n",
             "mailbridge_cache_rows{account=\"alice\"} 1234\n",
             "mailbridge_upstream_backoff_failures{account=\"alice\",upstream=\"imap.example:993\","
             "proxy=\"corp\"} 3\n",
             "mailbridge_upstream_backoff_failures{account=\"alice\",upstream=\"imap.example:993\","
             "proxy=\"direct\"} 1\n",
             "mailbridge_upstream_backoff_until_seconds{account=\"alice\",upstream=\"imap.example:"
             "993\",proxy=\"corp\"} 1700000060\n",
         })
        EXPECT_NE(text.find(expected), std::string::npos) << expected << "\nin:\n" << text;
    // Every sample line names a mailbridge_ metric.
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        ASSERT_NE(end, std::string::npos) << "the text must end with a newline";
        std::string_view line(text.data() + start, end - start);
        if (!line.starts_with("#")) {
            EXPECT_TRUE(line.starts_with("mailbridge_")) << line;
        }
        start = end + 1;
    }
    EXPECT_EQ(metrics.registry().value("mailbridge_sessions_active", labels("imap")), 1);
}

TEST(Metrics, RenderingIsDeterministic) {
    Metrics a;
    Metrics b;
    for (std::string server : {"smtp", "imap", "pop3"}) a.session_opened(server);
    for (std::string server : {"pop3", "smtp", "imap"}) b.session_opened(server);
    EXPECT_EQ(a.render(), b.render());
}

}  // namespace
