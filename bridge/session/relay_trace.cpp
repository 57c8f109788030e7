// The trace lines shared by the relayed-session traces.
#include "bridge/session/relay_trace.h"

#include <spdlog/spdlog.h>

namespace mb::session {

bool relay_trace_enabled() {
    return spdlog::should_log(spdlog::level::trace);
}

void RelayTraceLog::client(std::string_view text) const {
    spdlog::trace("{} {} C: {}", server_, peer_, text);
}

void RelayTraceLog::server(std::string_view text) const {
    spdlog::trace("{} {} S: {}", server_, peer_, text);
}

std::string RelayTraceLog::body_size(std::uint64_t bytes) {
    return "{" + std::to_string(bytes) + " bytes}";
}

Relay::Filter observed_filter(Relay::Filter inner, std::function<void(std::string_view)> observe) {
    return [inner = std::move(inner), observe = std::move(observe)](std::string_view in,
                                                                    RelayOutput& out) {
        observe(in);
        if (inner)
            inner(in, out);
        else
            out.append(in);
    };
}

}  // namespace mb::session
