// release_later: a ByteStream must not be destroyed inside its own callbacks (see byte_stream.h).
// An owner that has to let go of one there hands it over: its handlers are dropped, reading stops
// at once, and it is destroyed from a later loop turn.
#pragma once

#include <uv.h>

#include <memory>

#include "bridge/net/byte_stream.h"

namespace mb::net {

void release_later(uv_loop_t* loop, std::unique_ptr<ByteStream> stream);

}  // namespace mb::net
