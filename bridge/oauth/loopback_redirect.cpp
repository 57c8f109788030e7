// The loopback redirect listener (see loopback_redirect.h): parse the redirect_uri, bind, accept
// with poll() against a deadline, read one request head, answer, close.
#include "bridge/oauth/loopback_redirect.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mb::oauth {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct RedirectParts {
    std::string host;     // as written (for the redirect_uri)
    std::string address;  // what to bind
    bool ipv6 = false;
    int port = 0;
    std::string path;
};

Result<RedirectParts> split_redirect(std::string_view uri) {
    const std::string_view scheme = "http://";
    auto bad = [&](const std::string& why) {
        return make_error("redirect_uri \"" + std::string(uri) + "\" " + why +
                          " — use http://127.0.0.1:PORT/callback");
    };
    if (uri.substr(0, scheme.size()) != scheme) return bad("is not an http:// loopback address");
    std::string_view rest = uri.substr(scheme.size());
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    RedirectParts parts;
    parts.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (parts.path.find_first_of("?#") != std::string::npos)
        return bad("must not carry a query or fragment");
    std::string_view port_text;
    if (!authority.empty() && authority[0] == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return bad("has a broken [address]");
        parts.host = std::string(authority.substr(0, close + 1));
        parts.address = std::string(authority.substr(1, close - 1));
        parts.ipv6 = true;
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') return bad("has a broken port");
            port_text = authority.substr(close + 2);
        }
    } else {
        const auto colon = authority.find(':');
        parts.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
        parts.address = parts.host == "localhost" ? "127.0.0.1" : parts.host;
    }
    if (parts.address != "127.0.0.1" && parts.address != "::1")
        return bad("is not a loopback address (127.0.0.1, [::1] or localhost)");
    if (!port_text.empty()) {
        if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
            return bad("has a broken port");
        parts.port = std::stoi(std::string(port_text));
        if (parts.port > 65535) return bad("has a broken port");
    }
    return parts;
}

void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void answer(int fd, int status, std::string_view reason, std::string_view html) {
    send_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                     "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                     std::to_string(html.size()) +
                     "\r\nCache-Control: no-store\r\nContent-Security-Policy: default-src 'none'; "
                     "style-src 'unsafe-inline'; frame-ancestors 'none'\r\nX-Frame-Options: "
                     "DENY\r\nConnection: close\r\n\r\n" +
                     std::string(html));
}

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

// Reads a request head (up to the blank line) before the deadline; "" when none came.
std::string read_head(int fd, Clock::time_point deadline) {
    std::string head;
    char buffer[2048];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxRedirectRequestBytes) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, std::min(remaining_ms(deadline), 10'000));
        if (ready <= 0) return head.find("\r\n") == std::string::npos ? "" : head;
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        head.append(buffer, static_cast<std::size_t>(n));
    }
    return head;
}

}  // namespace

Result<RedirectListener> RedirectListener::open(std::string_view redirect_uri) {
    auto parts = split_redirect(redirect_uri);
    if (!parts) return parts.error();
    const int fd = ::socket(parts->ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(std::string("cannot create a socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage address{};
    socklen_t length = 0;
    if (parts->ipv6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<std::uint16_t>(parts->port));
        ::inet_pton(AF_INET6, parts->address.c_str(), &in6->sin6_addr);
        length = sizeof *in6;
    } else {
        auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(static_cast<std::uint16_t>(parts->port));
        ::inet_pton(AF_INET, parts->address.c_str(), &in4->sin_addr);
        length = sizeof *in4;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 8) != 0) {
        const std::string reason = std::strerror(errno);
        ::close(fd);
        return make_error("cannot listen on " + parts->host + ":" + std::to_string(parts->port) +
                          " for the redirect: " + reason +
                          " — free that port or change redirect_uri");
    }
    length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    const std::uint16_t port =
        ntohs(parts->ipv6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                          : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    std::string uri = "http://" + parts->host + ":" + std::to_string(port) + parts->path;
    return RedirectListener(fd, std::move(uri), parts->path, port);
}

RedirectListener::RedirectListener(RedirectListener&& other) noexcept
    : fd_(other.fd_),
      redirect_uri_(std::move(other.redirect_uri_)),
      path_(std::move(other.path_)),
      port_(other.port_) {
    other.fd_ = -1;
}

RedirectListener::~RedirectListener() {
    if (fd_ >= 0) ::close(fd_);
}

Result<std::string> RedirectListener::wait(
    std::chrono::milliseconds timeout,
    const std::function<RedirectVerdict(const std::string&)>& judge,
    const std::function<bool()>& cancelled) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (cancelled && cancelled())
            return make_error(
                "the authorization was cancelled (mailbridge is stopping or reloading)");
        pollfd p{fd_, POLLIN, 0};
        int wait_ms = remaining_ms(deadline);
        if (cancelled && wait_ms > 200) wait_ms = 200;
        if (wait_ms == 0)
            return make_error("no redirect arrived within " +
                              std::to_string(timeout.count() / 1000) +
                              " s — open the URL, finish the sign-in, and run the command again");
        const int ready = ::poll(&p, 1, wait_ms);
        if (ready < 0 && errno != EINTR)
            return make_error(std::string("waiting for the redirect failed: ") +
                              std::strerror(errno));
        if (ready <= 0) continue;
        const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        const std::string head = read_head(client, std::min(deadline, Clock::now() + 10s));
        const auto line_end = head.find("\r\n");
        const std::string line = head.substr(0, line_end);
        // "GET /callback?code=…&state=… HTTP/1.1"
        const auto first_space = line.find(' ');
        const auto last_space = line.rfind(' ');
        std::string target = first_space != std::string::npos && last_space > first_space
                                 ? line.substr(first_space + 1, last_space - first_space - 1)
                                 : "";
        const auto question = target.find('?');
        const std::string path = target.substr(0, question);
        if (line.rfind("GET ", 0) != 0 || path != path_) {
            answer(client, 404, "Not Found", "<!doctype html><title>mailbridge</title>Not found.");
            ::close(client);
            continue;
        }
        std::string query = question == std::string::npos ? "" : target.substr(question + 1);
        const RedirectVerdict verdict = judge(query);
        answer(client, verdict.accepted ? 200 : 400, verdict.accepted ? "OK" : "Bad Request",
               verdict.html);
        ::close(client);
        if (verdict.accepted) return query;
    }
}

}  // namespace mb::oauth
