// SystemdNotifier: the datagrams it sends to a socket of the test's own (path and abstract
// namespace), and that it does nothing without a usable NOTIFY_SOCKET.
#include "bridge/daemon/systemd_notifier.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

namespace mb::daemon {
namespace {

class NotifyReceiver {
  public:
    explicit NotifyReceiver(const std::string& address) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::string raw = address;
        if (raw[0] == '@') raw[0] = '\0';
        std::memcpy(un.sun_path, raw.data(), raw.size());
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + raw.size() +
                                                   (raw[0] == '\0' ? 0 : 1));
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&un), length), 0) << std::strerror(errno);
        timeval timeout{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    ~NotifyReceiver() { ::close(fd_); }
    std::string next() {
        char buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }

  private:
    int fd_ = -1;
};

TEST(SystemdNotifier, DatagramIsKeyValueLinesWithoutNewlinesInValues) {
    EXPECT_EQ(SystemdNotifier::datagram({{"READY", "1"}, {"STATUS", "two\nlines"}}),
              "READY=1\nSTATUS=twolines\n");
}

TEST(SystemdNotifier, SendsToAPathSocket) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("mb-notify-" + std::to_string(::getpid()) + ".sock");
    std::filesystem::remove(path);
    NotifyReceiver receiver(path.string());
    SystemdNotifier notifier(path.string());
    ASSERT_TRUE(notifier.enabled());
    notifier.ready("3 session(s) open");
    EXPECT_EQ(receiver.next(), "READY=1\nSTATUS=3 session(s) open\n");
    notifier.reloading();
    const std::string reloading = receiver.next();
    EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
    notifier.stopping();
    EXPECT_EQ(receiver.next(), "STOPPING=1\n");
    std::filesystem::remove(path);
}

TEST(SystemdNotifier, SendsToAnAbstractSocket) {
    const std::string name = "@mb-notify-test-" + std::to_string(::getpid());
    NotifyReceiver receiver(name);
    SystemdNotifier notifier(name);
    notifier.status("idle");
    EXPECT_EQ(receiver.next(), "STATUS=idle\n");
}

TEST(SystemdNotifier, DoesNothingWithoutAUsableSocket) {
    EXPECT_FALSE(SystemdNotifier(std::string()).enabled());
    EXPECT_FALSE(SystemdNotifier(std::string("relative/path")).enabled());
    EXPECT_FALSE(SystemdNotifier(std::string("/") + std::string(200, 'x')).enabled());
    SystemdNotifier missing(std::string("/nonexistent-dir/notify.sock"));
    missing.ready("no one listens");  // must not throw, block or crash
}

}  // namespace
}  // namespace mb::daemon
