// ImapRelayTrace: the level-5 trace of a relayed IMAP session (see relay_trace.h). Upstream lines
// come from the ImapResponseFilter's framing events (the stream is not framed twice); client
// bytes are framed here, only while tracing. Each line segment is logged through
// protocol/imap/trace_mask (LOGIN and AUTHENTICATE arguments, and the client's lines of a SASL
// exchange, become "***"; a command whose credentials started shows "***" for its later
// segments); each literal body is logged as its size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/session/relay_trace.h"
#include "protocol/imap/stream_framer.h"

namespace mb::session {

class ImapRelayTrace {
  public:
    explicit ImapRelayTrace(RelayTraceLog log);

    void client_bytes(std::string_view bytes);
    // One event of the client stream framed elsewhere (the relay's ImapCommandFilter), instead
    // of client_bytes.
    void client_event(const protocol::imap::StreamEvent& event);
    void upstream_event(const protocol::imap::StreamEvent& event);

  private:
    RelayTraceLog log_;
    protocol::imap::StreamFramer client_framer_;
    bool client_stopped_ = false;
    std::string client_tag_;            // tag of the client's current (or last) command
    bool unit_masked_ = false;          // the client's current command carries credentials
    std::string sasl_tag_;              // an AUTHENTICATE exchange runs for this tag ("" = none)
    std::uint64_t client_literal_ = 0;  // body bytes of the current literal so far
    std::uint64_t upstream_literal_ = 0;
};

}  // namespace mb::session
