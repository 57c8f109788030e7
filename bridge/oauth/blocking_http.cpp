// fetch_blocking (see blocking_http.h): a loop, a client, one request, then everything closed.
#include "bridge/oauth/blocking_http.h"

#include <uv.h>

#include <optional>

namespace mb::oauth {

HttpResult fetch_blocking(HttpRequest request) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::optional<HttpResult> result;
    {
        HttpClient client(&loop);
        HttpCall call = client.start(std::move(request),
                                     [&](HttpResult answer) { result.emplace(std::move(answer)); });
        while (!result) uv_run(&loop, UV_RUN_ONCE);
    }
    uv_run(&loop, UV_RUN_DEFAULT);  // the client's close callbacks
    uv_loop_close(&loop);
    return std::move(*result);
}

}  // namespace mb::oauth
