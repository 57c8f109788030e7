// Pop3RelayTrace: the level-5 trace of a relayed POP3 session (see relay_trace.h). Client lines
// go through protocol/pop3/trace_mask (PASS, APOP, AUTH and SASL answers masked); each
// response's first line is shown and a multi-line body (RETR, TOP, LIST, UIDL, CAPA) is logged as
// its size. Multi-line answers are found the way the relay finds them: a ResponseTracker told
// each client command (this trace keeps its own, and only while tracing).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/session/relay_trace.h"
#include "protocol/line_framer.h"
#include "protocol/pop3/response_tracker.h"

namespace mb::session {

class Pop3RelayTrace {
  public:
    explicit Pop3RelayTrace(RelayTraceLog log);

    void client_bytes(std::string_view bytes);
    void upstream_bytes(std::string_view bytes);

  private:
    void upstream_event(const protocol::pop3::ResponseEvent& event);

    RelayTraceLog log_;
    protocol::LineFramer client_lines_;
    protocol::pop3::ResponseTracker tracker_;
    bool stopped_ = false;
    bool sasl_ = false;           // the client answers SASL challenges
    bool in_first_line_ = false;  // inside a response's status line
    std::string first_line_;      // its start, bounded
    std::uint64_t first_line_size_ = 0;
    std::uint64_t body_ = 0;  // bytes after the status line
};

}  // namespace mb::session
