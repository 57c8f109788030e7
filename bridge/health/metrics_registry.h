// MetricsRegistry: counters, gauges and histograms with label sets, rendered in the Prometheus text
// exposition format 0.0.4. Families render in name order and series in label-value order, so the
// output is deterministic. Owned by the event-loop thread: it has no locking, and every call must
// come from that thread. Names are fixed by the code that declares them (see Metrics); a wrong
// name or label count is a programming error and throws std::logic_error.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb::health {

class MetricsRegistry {
  public:
    enum class Type { counter, gauge, histogram };

    // Declare a family once before use. Histogram bounds are the buckets' upper limits, finite
    // and strictly increasing (a +Inf bucket is always added).
    void add_counter(std::string name, std::string help, std::vector<std::string> label_names);
    void add_gauge(std::string name, std::string help, std::vector<std::string> label_names);
    void add_histogram(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> bounds);

    // Label values are given in the order of the family's label names.
    using LabelValues = std::span<const std::string_view>;
    // Creates the series at zero if it does not exist (so it shows before the first event).
    void touch(std::string_view name, LabelValues labels);
    // Counter: delta >= 0. Gauge: any delta.
    void add(std::string_view name, LabelValues labels, double delta);
    // A counter series' value, created at zero, for a caller that adds to it often: resolve it
    // once, then add non-negative amounts through the pointer. Valid as long as the registry
    // (series are never removed).
    double* counter_cell(std::string_view name, LabelValues labels);
    // Gauge only.
    void set(std::string_view name, LabelValues labels, double value);
    // Histogram only.
    void observe(std::string_view name, LabelValues labels, double value);

    // The value of a counter or gauge series (0 when absent); for tests and the CLI.
    double value(std::string_view name, LabelValues labels) const;

    std::string render() const;

  private:
    struct Series {
        double value = 0;                    // counter, gauge
        std::vector<std::uint64_t> buckets;  // histogram: per bound, then +Inf (not cumulative)
        double sum = 0;
        std::uint64_t count = 0;
    };
    // Orders stored label values and looked-up views alike, so lookups do not allocate.
    struct LabelsLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return std::lexicographical_compare(
                a.begin(), a.end(), b.begin(), b.end(),
                [](std::string_view x, std::string_view y) { return x < y; });
        }
    };
    struct Family {
        Type type = Type::counter;
        std::string help;
        std::vector<std::string> label_names;
        std::vector<double> bounds;
        std::map<std::vector<std::string>, Series, LabelsLess> series;
    };

    void declare(std::string name, Type type, std::string help,
                 std::vector<std::string> label_names, std::vector<double> bounds);
    Family& family(std::string_view name, Type expected_a, Type expected_b);
    Series& series(Family& family, LabelValues labels);
    static void render_family(std::string& out, const std::string& name, const Family& family);

    std::map<std::string, Family, std::less<>> families_;
};

}  // namespace mb::health
