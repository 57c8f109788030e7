// ImapResponseFilter: the upstream→client filter of an IMAP relay. It frames the response stream
// (literals pass through uncopied by the framer) and rewrites CAPABILITY lists to what the bridge
// supports; every other byte passes unchanged. If the stream ever defeats the framer (a line over
// the relay limit), it falls back to passing bytes through untouched for the rest of the session.
// Bytes of a line that has not ended yet are held (and reported to the Relay as held).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/session/relay.h"
#include "protocol/imap/stream_framer.h"

namespace mb::session {

class ImapResponseFilter {
  public:
    explicit ImapResponseFilter(std::function<void()> on_bye);
    void operator()(std::string_view in, RelayOutput& out);
    // The same, appending a copy to `out`.
    void operator()(std::string_view in, std::string& out);
    // Bytes taken from the upstream and not given out yet (a partial line).
    std::size_t held_bytes() const { return held_; }

    // A Relay::Filter owning a new filter; `on_bye` runs when the upstream sends "* BYE".
    static Relay::Filter make(std::function<void()> on_bye);
    // A Relay::Filter calling `filter` (shared, so its owner can still ask it questions).
    static Relay::Filter wrap(std::shared_ptr<ImapResponseFilter> filter);

    // What the client has been given ends with a complete response (no partial line, not inside
    // a literal): a goodbye can be added without corrupting anything. Bytes of an incomplete
    // line are held back by the framer and never reach the client.
    bool client_at_boundary() const { return client_at_boundary_ && !passthrough_; }

    // Hands every framing event (and a framing error) to `observer` too, before the client's
    // bytes are written out: what the metadata cache and the protocol trace need, without
    // framing the stream again. Observers see events in the order they were added.
    void observe(std::function<void(const protocol::imap::StreamEvent&)> observer) {
        observers_.push_back(std::move(observer));
    }

  private:
    protocol::imap::StreamFramer framer_;
    std::function<void()> on_bye_;
    std::vector<std::function<void(const protocol::imap::StreamEvent&)>> observers_;
    bool passthrough_ = false;
    bool client_at_boundary_ = true;
    std::size_t held_ = 0;
};

}  // namespace mb::session
