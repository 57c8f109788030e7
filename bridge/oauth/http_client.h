// HttpClient: HTTP GET/POST for the OAuth2 endpoints with libcurl's multi interface driven by the
// libuv loop (curl_multi_socket_action + uv_poll + uv_timer), so no call ever blocks the loop.
//
// Why multi on the loop rather than curl easy on uv_queue_work: the threadpool has 4 threads shared
// with DNS and secret resolution, and a slow token endpoint (up to the total timeout) would hold
// one each; with multi any number of requests wait for the price of a socket, and cancelling is
// immediate (curl_multi_remove_handle) instead of "wait for the thread and drop the answer".
//
// Ownership: the daemon (or a TokenManager) owns one HttpClient per loop; each request is owned by
// the HttpCall handle returned to the requester. Destroying the handle (or the client) cancels the
// request and its callback is never called. Callbacks run on the loop thread, never from inside
// get()/post(). Request and response bodies are never logged.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/secret.h"

namespace mb::oauth {

// Largest response body kept; a longer one fails with HttpFailure::too_large.
inline constexpr std::size_t kMaxHttpResponseBytes = 64 * 1024;

struct HttpProxy {
    std::string url;  // "http://host:port" or "https://host:port"
    enum class Auth { none, basic, digest, any } auth = Auth::any;
    std::string username;
    Secret password;
    std::filesystem::path ca_file;  // trust anchors for an https:// proxy; empty = system store
    std::vector<std::string> no_proxy;
};

struct HttpRequest {
    std::string url;
    bool post = false;
    Secret body;  // form body for POST (it carries client secrets)
    std::string content_type = "application/x-www-form-urlencoded";
    Secret bearer;  // non-empty: sent as `Authorization: Bearer <bearer>` (e.g. for userinfo)
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds total_timeout{30'000};
    std::optional<HttpProxy> proxy;  // nullopt = direct (environment proxies are ignored)
    std::filesystem::path ca_file;   // extra trust anchors for the endpoint; empty = system store
};

// Why no HTTP answer arrived. Every failure but too_large and other may be transient.
enum class HttpFailure { none, resolve, connect, timeout, tls, proxy, too_large, other };

struct HttpResult {
    HttpFailure failure = HttpFailure::none;
    std::string detail;  // what went wrong, e.g. "connection refused" (never a body)
    long status = 0;     // HTTP status when failure == none
    std::string body;
    std::optional<std::chrono::seconds> retry_after;  // Retry-After, as seconds from now
    bool ok() const { return failure == HttpFailure::none; }
};

using HttpCallback = std::function<void(HttpResult)>;

class HttpClient;

// Owns one request in flight; destroying it (or calling cancel) cancels the request.
class HttpCall {
  public:
    HttpCall() = default;
    HttpCall(HttpCall&& other) noexcept;
    HttpCall& operator=(HttpCall&& other) noexcept;
    HttpCall(const HttpCall&) = delete;
    HttpCall& operator=(const HttpCall&) = delete;
    ~HttpCall();

    void cancel();
    bool active() const;

  private:
    friend class HttpClient;
    struct Engine;
    HttpCall(std::weak_ptr<Engine> engine, std::uint64_t id);
    std::weak_ptr<Engine> engine_;
    std::uint64_t id_ = 0;
};

class HttpClient {
  public:
    explicit HttpClient(uv_loop_t* loop);
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;
    // Cancels every request; no callback runs afterwards. The loop must still be alive.
    ~HttpClient();

    // Starts the request; the callback runs once, on the loop, unless the HttpCall goes first.
    // A request that cannot even be set up reports HttpFailure::other from the loop.
    [[nodiscard]] HttpCall start(HttpRequest request, HttpCallback callback);

    std::size_t active_requests() const;

  private:
    std::shared_ptr<HttpCall::Engine> engine_;
};

}  // namespace mb::oauth
