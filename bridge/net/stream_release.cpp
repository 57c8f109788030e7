// release_later: a zero-delay timer owns the stream until the loop comes back to it.
#include "bridge/net/stream_release.h"

#include <spdlog/spdlog.h>

#include "bridge/net/uv_timer.h"

namespace mb::net {
namespace {

// Declared timer first, so the stream goes before the timer when the Pending is deleted.
struct Pending {
    Pending(uv_loop_t* loop, std::unique_ptr<ByteStream> released)
        : timer(loop), stream(std::move(released)) {}
    UvTimer timer;
    std::unique_ptr<ByteStream> stream;
};

}  // namespace

void release_later(uv_loop_t* loop, std::unique_ptr<ByteStream> stream) {
    if (!stream) return;
    stream->set_handlers({});
    stream->stop_reading();
    auto* pending = new Pending(loop, std::move(stream));
    // The callback deletes the Pending that holds the timer, which UvTimer allows.
    if (auto started =
            pending->timer.start(std::chrono::milliseconds(0), [pending] { delete pending; });
        !started) {
        // Destroying the stream now could happen inside its own callback: it stays allocated.
        spdlog::error("cannot release a stream later ({}); it is kept", started.error().message);
    }
}

}  // namespace mb::net
