// Relay: moves bytes both ways between a local client and its authenticated upstream once login
// is done. Each direction is source → [filter] → sink; a filter may observe or rewrite framed
// units (IMAP CAPABILITY) and may hold back bytes it cannot judge yet (a partial line, a CAPA
// answer being collected, SMTP commands waiting for replies): they go out when the filter has
// seen enough, never reordered. What a filter passes through is not copied (see RelayOutput);
// the sink gets each chunk's output in one vectored write. Backpressure: when a sink's queue
// plus what the direction's filter holds exceeds the high-water mark, the other side stops
// reading until the sink drains (a filter's held bytes alone never pause it: only more input can
// release them). A session owns its Relay, the Relay owns both streams; `on_finished` runs once,
// from a loop callback, when both are closed.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "bridge/net/byte_stream.h"
#include "bridge/net/uv_timer.h"
#include "bridge/session/relay_output.h"

namespace mb::health {
class Metrics;
}

namespace mb::session {

struct RelayOptions {
    std::size_t high_water = 256 * 1024;  // stop reading the other side above this
    std::size_t low_water = 64 * 1024;    // resume at or below this
    std::size_t read_size = 256 * 1024;   // bytes per read from either side
    std::chrono::seconds idle_timeout{1800};
};

class Relay {
  public:
    enum class Side { client, upstream };
    // Turns bytes read from one side into bytes for the other (appended to `out`, which keeps
    // views of `in` uncopied), and says through out.set_held() how many bytes it holds back.
    using Filter = std::function<void(std::string_view in, RelayOutput& out)>;
    struct Handlers {
        // Bytes read from a side; resolve what it updates (a metric) once, not per call.
        std::function<void(Side from, std::size_t bytes)> on_bytes;
        // The upstream ended the session: return the goodbye to send the client (may be empty).
        std::function<std::string(const net::CloseReason&)> on_upstream_closed;
        // The client went away: return the words that end the upstream session politely when the
        // protocol allows it here (IMAP LOGOUT, SMTP QUIT), or "" to just close.
        std::function<std::string()> on_client_closed;
        // The session was silent for idle_timeout: return the goodbye for the client.
        std::function<std::string()> on_idle;
        std::function<void()> on_finished;
    };

    Relay(std::unique_ptr<net::ByteStream> client, std::unique_ptr<net::ByteStream> upstream,
          RelayOptions options, Handlers handlers);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    void set_filter(Side from, Filter filter);
    // Starts both directions; `upstream_leftover` (bytes the upstream sent with its login answer)
    // goes to the client first.
    void start(std::string_view upstream_leftover = {});
    // Sends `client_goodbye` to the client, then closes both sides.
    void shut_down(std::string client_goodbye);

  private:
    struct Direction {
        net::ByteStream* source = nullptr;
        net::ByteStream* sink = nullptr;
        Side from = Side::client;
        Filter filter;
        std::size_t held = 0;  // bytes the filter holds back, as it said after its last call
        bool paused = false;
    };

    void forward(Direction& direction, std::string_view bytes);
    void on_sink_drained(Direction& direction);
    void on_closed(Side side, const net::CloseReason& reason);
    void arm_idle_timer();
    void on_idle_timer();
    void schedule_idle_check(std::chrono::milliseconds delay);
    void maybe_finish();

    std::unique_ptr<net::ByteStream> client_;
    std::unique_ptr<net::ByteStream> upstream_;
    RelayOptions options_;
    Handlers handlers_;
    Direction to_upstream_;
    Direction to_client_;
    bool client_closed_ = false;
    bool upstream_closed_ = false;
    bool finished_ = false;
    net::UvTimer idle_timer_;
    uint64_t last_activity_ = 0;
    RelayOutput output_;  // a filter's output for the chunk being forwarded
};

// A Handlers::on_bytes that counts into server's mailbridge_bytes_total, its two series
// resolved once here rather than looked up for every chunk (none without metrics). `metrics`
// must outlive it.
std::function<void(Relay::Side from, std::size_t bytes)> relay_byte_counters(
    health::Metrics* metrics, std::string_view server);

}  // namespace mb::session
