// [[proxy]] → HttpProxy.
#include "bridge/oauth/http_proxy_config.h"

#include <utility>

namespace mb::oauth {

HttpProxy http_proxy_for(const config::ProxySettings& proxy, Secret password) {
    HttpProxy settings;
    settings.url = proxy.url;
    switch (proxy.auth) {
        case config::ProxyAuth::none:
            settings.auth = HttpProxy::Auth::none;
            break;
        case config::ProxyAuth::basic:
            settings.auth = HttpProxy::Auth::basic;
            break;
        case config::ProxyAuth::digest:
            settings.auth = HttpProxy::Auth::digest;
            break;
        case config::ProxyAuth::any:
            settings.auth = HttpProxy::Auth::any;
            break;
    }
    settings.username = proxy.username;
    settings.password = std::move(password);
    settings.ca_file = proxy.ca_file;
    settings.no_proxy = proxy.no_proxy;
    return settings;
}

}  // namespace mb::oauth
