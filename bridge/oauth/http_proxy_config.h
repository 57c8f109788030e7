// http_proxy_for: the libcurl proxy settings (HttpProxy) for a [[proxy]] of the configuration,
// given its password once resolved. Used by the token manager and the interactive flows.
#pragma once

#include "bridge/config/config_model.h"
#include "bridge/oauth/http_client.h"
#include "protocol/secret.h"

namespace mb::oauth {

HttpProxy http_proxy_for(const config::ProxySettings& proxy, Secret password);

}  // namespace mb::oauth
