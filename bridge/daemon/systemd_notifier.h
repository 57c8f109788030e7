// SystemdNotifier: the sd_notify datagram protocol (Type=notify) without libsystemd. When
// NOTIFY_SOCKET names a unix datagram socket (a path, or "@name" for the abstract namespace) each
// call sends one datagram of KEY=VALUE lines; without it every call does nothing. Sending never
// blocks the loop (non-blocking socket; a datagram the manager cannot take is dropped).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mb::daemon {

class SystemdNotifier {
  public:
    // Reads NOTIFY_SOCKET (or `socket_path` when given, for tests).
    explicit SystemdNotifier(std::optional<std::string> socket_path = std::nullopt);
    SystemdNotifier(const SystemdNotifier&) = delete;
    SystemdNotifier& operator=(const SystemdNotifier&) = delete;
    ~SystemdNotifier();

    bool enabled() const { return fd_ >= 0; }

    void ready(std::string_view status);   // READY=1 + STATUS=
    void reloading();                      // RELOADING=1 + MONOTONIC_USEC=
    void stopping();                       // STOPPING=1
    void status(std::string_view status);  // STATUS=

    // The datagram for `fields` (exposed for tests): KEY=VALUE lines, newlines in values dropped.
    static std::string datagram(
        std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

  private:
    void send(const std::string& message);

    int fd_ = -1;
    std::string address_;  // sun_path bytes (a leading NUL for the abstract namespace)
};

}  // namespace mb::daemon
