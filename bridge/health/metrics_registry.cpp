// MetricsRegistry: storage of the metric families and their rendering in the Prometheus text
// format 0.0.4. See metrics_registry.h.
#include "bridge/health/metrics_registry.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace mb::health {
namespace {

bool is_metric_name(std::string_view name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

bool is_label_name(std::string_view name) {
    return is_metric_name(name) && name.find(':') == std::string_view::npos &&
           !name.starts_with("__");
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && quote) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

void append_number(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        char buffer[64];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
        out.append(buffer, end);
    }
}

// {a="x",b="y"} with an optional extra label (le for histogram buckets); nothing when empty.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
    if (names.empty() && extra_name.empty()) return;
    out += '{';
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ',';
        out += names[i];
        out += "=\"";
        append_escaped(out, values[i], true);
        out += '"';
    }
    if (!extra_name.empty()) {
        if (!names.empty()) out += ',';
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
}

std::string_view type_name(MetricsRegistry::Type type) {
    switch (type) {
        case MetricsRegistry::Type::counter:
            return "counter";
        case MetricsRegistry::Type::gauge:
            return "gauge";
        case MetricsRegistry::Type::histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

void MetricsRegistry::add_counter(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
    declare(std::move(name), Type::counter, std::move(help), std::move(label_names), {});
}

void MetricsRegistry::add_gauge(std::string name, std::string help,
                                std::vector<std::string> label_names) {
    declare(std::move(name), Type::gauge, std::move(help), std::move(label_names), {});
}

void MetricsRegistry::add_histogram(std::string name, std::string help,
                                    std::vector<std::string> label_names,
                                    std::vector<double> bounds) {
    if (bounds.empty()) throw std::logic_error("histogram " + name + " needs bucket bounds");
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            throw std::logic_error("histogram " + name + " bounds must be finite and increasing");
    }
    for (const std::string& label : label_names)
        if (label == "le") throw std::logic_error("histogram " + name + " may not use label le");
    declare(std::move(name), Type::histogram, std::move(help), std::move(label_names),
            std::move(bounds));
}

void MetricsRegistry::declare(std::string name, Type type, std::string help,
                              std::vector<std::string> label_names, std::vector<double> bounds) {
    if (!is_metric_name(name)) throw std::logic_error("invalid metric name: " + name);
    for (const std::string& label : label_names)
        if (!is_label_name(label)) throw std::logic_error("invalid label name: " + label);
    if (families_.contains(name)) throw std::logic_error("metric declared twice: " + name);
    Family family;
    family.type = type;
    family.help = std::move(help);
    family.label_names = std::move(label_names);
    family.bounds = std::move(bounds);
    families_.emplace(std::move(name), std::move(family));
}

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, Type expected_a,
                                                 Type expected_b) {
    auto it = families_.find(name);
    if (it == families_.end()) throw std::logic_error("metric not declared: " + std::string(name));
    if (it->second.type != expected_a && it->second.type != expected_b)
        throw std::logic_error("metric " + std::string(name) + " is a " +
                               std::string(type_name(it->second.type)));
    return it->second;
}

MetricsRegistry::Series& MetricsRegistry::series(Family& family, LabelValues labels) {
    if (labels.size() != family.label_names.size())
        throw std::logic_error("wrong number of label values for a metric");
    auto it = family.series.find(labels);
    if (it == family.series.end()) {
        Series fresh;
        if (family.type == Type::histogram) fresh.buckets.assign(family.bounds.size() + 1, 0);
        it = family.series.emplace(std::vector<std::string>(labels.begin(), labels.end()), fresh)
                 .first;
    }
    return it->second;
}

void MetricsRegistry::touch(std::string_view name, LabelValues labels) {
    auto it = families_.find(name);
    if (it == families_.end()) throw std::logic_error("metric not declared: " + std::string(name));
    series(it->second, labels);
}

void MetricsRegistry::add(std::string_view name, LabelValues labels, double delta) {
    Family& f = family(name, Type::counter, Type::gauge);
    if (f.type == Type::counter && !(delta >= 0))
        throw std::logic_error("counter " + std::string(name) + " may only grow");
    series(f, labels).value += delta;
}

double* MetricsRegistry::counter_cell(std::string_view name, LabelValues labels) {
    return &series(family(name, Type::counter, Type::counter), labels).value;
}

void MetricsRegistry::set(std::string_view name, LabelValues labels, double value) {
    series(family(name, Type::gauge, Type::gauge), labels).value = value;
}

void MetricsRegistry::observe(std::string_view name, LabelValues labels, double value) {
    Family& f = family(name, Type::histogram, Type::histogram);
    if (std::isnan(value)) return;
    Series& s = series(f, labels);
    auto bound = std::lower_bound(f.bounds.begin(), f.bounds.end(), value);
    ++s.buckets[static_cast<std::size_t>(bound - f.bounds.begin())];
    s.sum += value;
    ++s.count;
}

double MetricsRegistry::value(std::string_view name, LabelValues labels) const {
    auto it = families_.find(name);
    if (it == families_.end()) return 0;
    auto series = it->second.series.find(labels);
    return series == it->second.series.end() ? 0 : series->second.value;
}

std::string MetricsRegistry::render() const {
    std::string out;
    for (const auto& [name, family] : families_) render_family(out, name, family);
    return out;
}

void MetricsRegistry::render_family(std::string& out, const std::string& name,
                                    const Family& family) {
    out += "# HELP " + name + ' ';
    append_escaped(out, family.help, false);
    out += "\n# TYPE " + name + ' ';
    out += type_name(family.type);
    out += '\n';
    for (const auto& [labels, s] : family.series) {
        if (family.type != Type::histogram) {
            out += name;
            append_labels(out, family.label_names, labels);
            out += ' ';
            append_number(out, s.value);
            out += '\n';
            continue;
        }
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= family.bounds.size(); ++i) {
            cumulative += s.buckets[i];
            std::string le;
            if (i < family.bounds.size()) {
                append_number(le, family.bounds[i]);
            } else {
                le = "+Inf";
            }
            out += name + "_bucket";
            append_labels(out, family.label_names, labels, "le", le);
            out += ' ' + std::to_string(cumulative) + '\n';
        }
        out += name + "_sum";
        append_labels(out, family.label_names, labels);
        out += ' ';
        append_number(out, s.sum);
        out += '\n' + name + "_count";
        append_labels(out, family.label_names, labels);
        out += ' ' + std::to_string(s.count) + '\n';
    }
}

}  // namespace mb::health
