// SmtpRelayTrace: the level-5 trace of a relayed SMTP session (see relay_trace.h). Client command
// lines go through protocol/smtp/trace_mask (AUTH responses masked); a message body (after DATA
// and the upstream's 354, up to its "." line) and a BDAT chunk are logged as their size; every
// reply line from the upstream is shown. Replies the relay gives locally (to AUTH, STARTTLS,
// BDAT) are not upstream bytes and are not in this trace.
#pragma once

#include <cstdint>
#include <string_view>

#include "bridge/session/relay_trace.h"
#include "protocol/line_framer.h"
#include "protocol/smtp/data_terminator.h"

namespace mb::session {

class SmtpRelayTrace {
  public:
    explicit SmtpRelayTrace(RelayTraceLog log);

    void client_bytes(std::string_view bytes);
    void upstream_bytes(std::string_view bytes);

  private:
    void on_command(std::string_view line);

    RelayTraceLog log_;
    protocol::LineFramer commands_;
    protocol::LineFramer replies_;
    protocol::smtp::DataTerminator body_;
    bool data_sent_ = false;   // the client's last command was DATA
    bool in_body_ = false;     // the upstream said 354: client bytes are the message
    std::uint64_t skip_ = 0;   // BDAT chunk bytes still to come
    std::uint64_t chunk_ = 0;  // that chunk's size
};

}  // namespace mb::session
