// Command tracking and CAPA rewriting for the POP3 relay.
#include "bridge/session/pop3_relay_filters.h"

#include <spdlog/spdlog.h>

#include "protocol/pop3/capabilities.h"
#include "protocol/pop3/limits.h"

namespace mb::session {
namespace pop3 = protocol::pop3;

namespace {
bool is_command(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(line[i])) != name[i]) return false;
    return line.size() == name.size() || line[name.size()] == ' ' || line[name.size()] == '\r';
}
}  // namespace

Pop3RelayFilters::Pop3RelayFilters()
    : client_lines_({.max_line = pop3::limits::kMaxAuthLine,
                     .bare_lf = protocol::LineFramer::BareLf::Terminates}) {}

std::pair<Relay::Filter, Relay::Filter> Pop3RelayFilters::make(
    std::shared_ptr<Pop3RelayFilters> filters) {
    return {[filters](std::string_view in, RelayOutput& out) { filters->from_client(in, out); },
            [filters](std::string_view in, RelayOutput& out) { filters->from_upstream(in, out); }};
}

void Pop3RelayFilters::from_client(std::string_view in, std::string& out) {
    RelayOutput collected(out);
    from_client(in, collected);
}

void Pop3RelayFilters::from_upstream(std::string_view in, std::string& out) {
    RelayOutput collected(out);
    from_upstream(in, collected);
}

void Pop3RelayFilters::from_client(std::string_view in, RelayOutput& out) {
    out.append(in);
    while (!in.empty() && !passthrough_) {
        auto outcome = client_lines_.next(in);
        in.remove_prefix(outcome.consumed);
        if (outcome.status == protocol::LineFramer::Status::NeedMore) return;
        if (outcome.status != protocol::LineFramer::Status::Line) continue;  // upstream answers
        if (is_command(outcome.line, "QUIT")) client_quit_ = true;
        if (!tracker_.command_sent(outcome.line)) {
            spdlog::debug("pop3 relay: too many pipelined commands to follow; relaying unobserved");
            passthrough_ = true;
        }
    }
}

void Pop3RelayFilters::from_upstream(std::string_view in, RelayOutput& out) {
    from_upstream_events(in, out);
    out.set_held(capa_.size());
}

void Pop3RelayFilters::from_upstream_events(std::string_view in, RelayOutput& out) {
    while (!in.empty()) {
        if (passthrough_) {
            out.append(capa_);  // a CAPA answer cut short goes out as it came
            capa_.clear();
            in_capa_ = false;
            out.append(in);
            return;
        }
        auto event = tracker_.next(in);
        in.remove_prefix(event.consumed);
        if (event.kind == pop3::ResponseEvent::Kind::NeedMore) return;
        bool capa = event.multi_line && is_command(event.command, "CAPA");
        if (!capa && !in_capa_) {
            out.append(event.bytes);
            continue;
        }
        in_capa_ = true;
        capa_.append(event.bytes);
        if (capa_.size() > pop3::limits::kMaxCapaResponse) {
            passthrough_ = true;
            continue;
        }
        if (!event.ends_unit) continue;
        if (auto rewritten = pop3::rewrite_capa_response(capa_))
            out.append(*rewritten);
        else
            out.append(capa_);
        capa_.clear();
        in_capa_ = false;
    }
}

}  // namespace mb::session
