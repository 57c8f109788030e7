// ImapCommandFilter: the client→upstream filter of an IMAP relay after login. Every byte passes
// unchanged; the command stream is framed here once, and each framing event is handed to the
// observers (the metadata cache, the protocol trace) in the order they were added. It also knows
// whether the client stopped between two commands (for a LOGOUT upstream when it vanishes), and
// watches the upstream's tagged replies (fed from ImapResponseFilter's events) for a refused
// synchronizing literal, which the client will then never send.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/session/relay.h"
#include "protocol/imap/stream_framer.h"

namespace mb::session {

class ImapCommandFilter {
  public:
    using Observer = std::function<void(const protocol::imap::StreamEvent&)>;

    ImapCommandFilter();

    // Relay filter: appends `in` to `out` (a view, not copied) and frames it.
    void operator()(std::string_view in, RelayOutput& out);
    // The same, appending a copy to `out`.
    void operator()(std::string_view in, std::string& out);
    // Client bytes already on their way upstream (pipelined behind LOGIN): framed, not forwarded.
    void feed(std::string_view bytes);
    // A Relay::Filter calling `filter` (shared, so the session can still ask it questions).
    static Relay::Filter wrap(std::shared_ptr<ImapCommandFilter> filter);

    void observe(Observer observer) { observers_.push_back(std::move(observer)); }
    // One event of the upstream stream: a tagged reply to the command whose synchronizing literal
    // is awaited means the server refused it; the client's next bytes start a new command.
    void upstream_event(const protocol::imap::StreamEvent& event);

    // Everything the client sent ends with a complete command (not inside a line or a literal).
    // False for good once the stream could not be framed.
    bool at_command_boundary() const { return framer_.at_unit_start(); }

  private:
    protocol::imap::StreamFramer framer_;
    std::vector<Observer> observers_;
    std::string unit_tag_;  // tag of the command being read (or last read)
    bool failed_ = false;   // the stream could not be framed: observers were told, framing stops
};

}  // namespace mb::session
