// RedirectListener: the loopback HTTP listener of the authorization code flow (RFC 8252 7.3) for
// `mailbridge auth`. It binds the redirect_uri's host and port (port 0 or none = any free port,
// which the redirect_uri then names), waits for the browser's GET on the redirect path, answers
// with a small HTML page and hands back the query. A request the caller does not accept (e.g.
// one whose `state` is not this flow's) gets a 400 page and the listener keeps waiting, so a
// stray or forged request cannot end the flow. Blocking (poll with a deadline); one connection
// at a time; requests are bounded in size. Owns its socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace mb::oauth {

// Largest request head read from the browser.
inline constexpr std::size_t kMaxRedirectRequestBytes = 16 * 1024;

// The caller's verdict on one redirect: accepted (the wait ends with its query) or not (400,
// and the wait goes on); `html` is the page shown in the browser either way.
struct RedirectVerdict {
    bool accepted = false;
    std::string html;
};

class RedirectListener {
  public:
    // The redirect_uri must be http:// to a loopback address (127.0.0.1, [::1] or localhost).
    static Result<RedirectListener> open(std::string_view redirect_uri);
    RedirectListener(RedirectListener&& other) noexcept;
    RedirectListener& operator=(RedirectListener&&) = delete;
    RedirectListener(const RedirectListener&) = delete;
    ~RedirectListener();

    // The redirect_uri to send, with the port actually bound.
    const std::string& redirect_uri() const { return redirect_uri_; }
    std::uint16_t port() const { return port_; }

    // Waits up to `timeout` for GET <path>?<query> that `judge(query)` accepts and returns its
    // query. Requests for other paths get 404. `cancelled` (when set) is asked a few times a
    // second; true ends the wait with an error.
    Result<std::string> wait(std::chrono::milliseconds timeout,
                             const std::function<RedirectVerdict(const std::string&)>& judge,
                             const std::function<bool()>& cancelled = {});

  private:
    RedirectListener(int fd, std::string redirect_uri, std::string path, std::uint16_t port)
        : fd_(fd), redirect_uri_(std::move(redirect_uri)), path_(std::move(path)), port_(port) {}
    int fd_ = -1;
    std::string redirect_uri_;
    std::string path_;
    std::uint16_t port_ = 0;
};

}  // namespace mb::oauth
