// One HTTP request run to completion on a private libuv loop, for the command line (`mailbridge
// auth`), where blocking is fine. The daemon never uses this: it shares the HttpClient on its loop.
#pragma once

#include "bridge/oauth/http_client.h"

namespace mb::oauth {

HttpResult fetch_blocking(HttpRequest request);

}  // namespace mb::oauth
