// ImapResponseFilter: the upstream→client filter of an IMAP relay. It frames the response stream
// (literals pass through uncopied by the framer) and rewrites CAPABILITY lists to what the bridge
// supports; every other byte passes unchanged. If the stream ever defeats the framer (a line over
// the relay limit), it falls back to passing bytes through untouched for the rest of the session.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bridge/session/relay.h"
#include "protocol/imap/stream_framer.h"

namespace mb::session {

class ImapResponseFilter {
  public:
    explicit ImapResponseFilter(std::function<void()> on_bye);
    void operator()(std::string_view in, std::string& out);

    // A Relay::Filter owning a new filter; `on_bye` runs when the upstream sends "* BYE".
    static Relay::Filter make(std::function<void()> on_bye);

  private:
    protocol::imap::StreamFramer framer_;
    std::function<void()> on_bye_;
    bool passthrough_ = false;
};

}  // namespace mb::session
