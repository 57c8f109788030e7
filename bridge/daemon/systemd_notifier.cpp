// sd_notify over a unix datagram socket (see systemd_notifier.h).
#include "bridge/daemon/systemd_notifier.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace mb::daemon {

namespace {

std::string monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return std::to_string(static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000);
}

}  // namespace

SystemdNotifier::SystemdNotifier(std::optional<std::string> socket_path) {
    if (!socket_path) {
        const char* from_env = std::getenv("NOTIFY_SOCKET");
        if (from_env == nullptr || *from_env == '\0') return;
        socket_path = from_env;
    }
    std::string address = *socket_path;
    if (address.empty() || (address[0] != '/' && address[0] != '@')) return;
    if (address[0] == '@') address[0] = '\0';
    if (address.size() >= sizeof(sockaddr_un::sun_path)) return;
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    address_ = std::move(address);
}

SystemdNotifier::~SystemdNotifier() {
    if (fd_ >= 0) ::close(fd_);
}

std::string SystemdNotifier::datagram(
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string out;
    for (const auto& [key, value] : fields) {
        out.append(key).append("=");
        for (char c : value)
            if (c != '\n' && c != '\0') out += c;
        out += '\n';
    }
    return out;
}

void SystemdNotifier::send(const std::string& message) {
    if (fd_ < 0) return;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, address_.data(), address_.size());
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() +
                                               (address_[0] == '\0' ? 0 : 1));
    (void)::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&address), length);
}

void SystemdNotifier::ready(std::string_view status) {
    send(datagram({{"READY", "1"}, {"STATUS", status}}));
}

void SystemdNotifier::reloading() {
    const std::string now = monotonic_usec();
    send(datagram({{"RELOADING", "1"}, {"MONOTONIC_USEC", now}}));
}

void SystemdNotifier::stopping() {
    send(datagram({{"STOPPING", "1"}}));
}

void SystemdNotifier::status(std::string_view status) {
    send(datagram({{"STATUS", status}}));
}

}  // namespace mb::daemon
