// Session and SessionHost: the interface between client sessions of any protocol and the listener
// that owns them. A session calls host.session_finished(this) once, when it is done; the host
// destroys it from a later loop turn, never inside the call.
#pragma once

#include <string_view>

namespace mb::session {

class Session {
  public:
    virtual ~Session() = default;
    virtual void start() = 0;
    // Stop for the daemon (SIGTERM past the grace period, account removed): a protocol-correct
    // goodbye naming `reason`, then close.
    virtual void shut_down(std::string_view reason) = 0;
    // The [[account]] this session relays for once logged in; empty before.
    virtual std::string_view account() const = 0;
};

class SessionHost {
  public:
    virtual void session_finished(Session* session) = 0;

  protected:
    ~SessionHost() = default;
};

}  // namespace mb::session
