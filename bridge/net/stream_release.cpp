// release_later: a zero-delay timer owns the stream until the loop comes back to it.
#include "bridge/net/stream_release.h"

namespace mb::net {
namespace {

struct Pending {
    uv_timer_t timer{};
    std::unique_ptr<ByteStream> stream;
};

}  // namespace

void release_later(uv_loop_t* loop, std::unique_ptr<ByteStream> stream) {
    if (!stream) return;
    stream->set_handlers({});
    stream->stop_reading();
    auto* pending = new Pending;
    pending->stream = std::move(stream);
    uv_timer_init(loop, &pending->timer);
    pending->timer.data = pending;
    uv_timer_start(
        &pending->timer,
        [](uv_timer_t* timer) {
            static_cast<Pending*>(timer->data)->stream.reset();
            uv_close(reinterpret_cast<uv_handle_t*>(timer),
                     [](uv_handle_t* handle) { delete static_cast<Pending*>(handle->data); });
        },
        0, 0);
}

}  // namespace mb::net
