// The POP3 relay's two filters, sharing one ResponseTracker: client→upstream passes bytes
// unchanged and tells the tracker each command (so multi-line answers are framed right under
// pipelining); upstream→client passes bytes unchanged except CAPA answers, which lose what
// concerns login (STLS, SASL, USER): a CAPA answer is held until it ends (reported as held). Also
// remembers whether the client sent QUIT.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "bridge/session/relay.h"
#include "protocol/line_framer.h"
#include "protocol/pop3/response_tracker.h"

namespace mb::session {

class Pop3RelayFilters {
  public:
    Pop3RelayFilters();

    void from_client(std::string_view in, RelayOutput& out);
    void from_upstream(std::string_view in, RelayOutput& out);
    // The same, appending a copy to `out`.
    void from_client(std::string_view in, std::string& out);
    void from_upstream(std::string_view in, std::string& out);
    bool client_quit() const { return client_quit_; }

    // The two Relay filters over one shared state.
    static std::pair<Relay::Filter, Relay::Filter> make(std::shared_ptr<Pop3RelayFilters> filters);

  private:
    void from_upstream_events(std::string_view in, RelayOutput& out);

    protocol::LineFramer client_lines_;
    protocol::pop3::ResponseTracker tracker_;
    std::string capa_;  // a CAPA answer being collected for rewriting
    bool in_capa_ = false;
    bool passthrough_ = false;  // the stream defeated the tracker: stop observing
    bool client_quit_ = false;
};

}  // namespace mb::session
