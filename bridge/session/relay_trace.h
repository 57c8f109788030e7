// Protocol trace (log level 5) of a relayed session: one log line per protocol line,
// "<server> <peer> C: <line>" (client → upstream) or "S: <line>" (upstream → client); bodies
// (IMAP literals, POP3 multi-line answers, SMTP DATA) as "{N bytes}", never their contents.
// The per-protocol traces (imap_relay_trace.h, pop3_relay_trace.h, smtp_relay_trace.h) decide
// what a line is and mask credentials; this file holds what they share. Observe-only: a trace
// sees the bytes the relay forwards and never holds or changes them. Sessions install one only
// when trace logging is on as the relay starts, so the relay pays nothing otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "bridge/session/relay.h"

namespace mb::session {

// Whether a relay starting now should be traced.
bool relay_trace_enabled();

class RelayTraceLog {
  public:
    RelayTraceLog(std::string server, std::string peer)
        : server_(std::move(server)), peer_(std::move(peer)) {}
    // `text` is already printable and masked.
    void client(std::string_view text) const;
    void server(std::string_view text) const;
    static std::string body_size(std::uint64_t bytes);  // "{N bytes}"

  private:
    std::string server_;
    std::string peer_;
};

// A relay filter that shows each chunk to `observe` before `inner` (or a plain pass-through,
// which copies nothing: `out` keeps a view of the chunk) forwards it unchanged.
Relay::Filter observed_filter(Relay::Filter inner, std::function<void(std::string_view)> observe);

}  // namespace mb::session
