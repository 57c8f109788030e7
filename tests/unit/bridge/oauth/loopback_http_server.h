// Test support: a tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port, POSIX sockets, one thread per
// connection) that answers with scripted replies (status, body, headers, delay), records every
// request and counts them. Also a helper that turns a libuv loop until a condition holds.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mb::oauth::test {

class LoopbackHttpServer {
  public:
    struct Reply {
        Reply() = default;
        Reply(int status_code, std::string reply_body, std::vector<std::string> extra_headers = {},
              std::chrono::milliseconds reply_delay = {})
            : status(status_code),
              body(std::move(reply_body)),
              headers(std::move(extra_headers)),
              delay(reply_delay) {}
        int status = 200;
        std::string body;
        std::vector<std::string> headers;  // extra "Name: value" lines
        std::chrono::milliseconds delay{0};
    };
    struct Seen {
        std::string method;
        std::string target;
        std::map<std::string, std::string> headers;  // names lower-cased
        std::string body;
    };

    LoopbackHttpServer() {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(listener_, 128) != 0)
            throw std::runtime_error("loopback server: bind/listen failed");
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~LoopbackHttpServer() {
        stopping_ = true;
        acceptor_.join();
        std::vector<std::thread> workers;
        {
            std::lock_guard lock(mutex_);
            workers.swap(workers_);
        }
        for (auto& t : workers) t.join();
        ::close(listener_);
    }

    std::uint16_t port() const { return port_; }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    // Replies used in order, one per request; then the default one.
    void push(Reply reply) {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(reply));
    }
    void set_default(Reply reply) {
        std::lock_guard lock(mutex_);
        default_ = std::move(reply);
    }
    int requests() const { return count_.load(); }
    std::vector<Seen> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }

  private:
    void accept_loop() {
        while (!stopping_) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            std::lock_guard lock(mutex_);
            workers_.emplace_back([this, fd] { serve(fd); });
        }
    }

    void serve(int fd) {
        std::string data;
        char buffer[4096];
        std::size_t head_end = std::string::npos;
        std::size_t body_length = 0;
        while (true) {
            if (head_end == std::string::npos) {
                head_end = data.find("\r\n\r\n");
                if (head_end != std::string::npos)
                    body_length = content_length(data.substr(0, head_end));
            }
            if (head_end != std::string::npos && data.size() >= head_end + 4 + body_length) break;
            pollfd p{fd, POLLIN, 0};
            if (stopping_) return close_fd(fd);
            if (::poll(&p, 1, 20) <= 0) continue;
            ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) return close_fd(fd);
            data.append(buffer, static_cast<std::size_t>(n));
        }
        Seen seen = parse(data.substr(0, head_end), data.substr(head_end + 4, body_length));
        Reply reply;
        {
            std::lock_guard lock(mutex_);
            seen_.push_back(seen);
            if (!queue_.empty()) {
                reply = queue_.front();
                queue_.pop_front();
            } else {
                reply = default_;
            }
        }
        ++count_;
        auto until = std::chrono::steady_clock::now() + reply.delay;
        while (std::chrono::steady_clock::now() < until && !stopping_)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " Status\r\n" +
                               "Content-Type: application/json\r\nConnection: close\r\n" +
                               "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
        for (const auto& header : reply.headers) response += header + "\r\n";
        response += "\r\n" + reply.body;
        std::size_t sent = 0;
        while (sent < response.size()) {
            ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += static_cast<std::size_t>(n);
        }
        close_fd(fd);
    }

    static void close_fd(int fd) { ::close(fd); }

    static std::string lower(std::string text) {
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return text;
    }

    static std::size_t content_length(const std::string& head) {
        auto at = lower(head).find("\r\ncontent-length:");
        if (at == std::string::npos) return 0;
        return std::stoul(head.substr(at + 17));
    }

    static Seen parse(const std::string& head, std::string body) {
        Seen seen;
        seen.body = std::move(body);
        std::size_t line_end = head.find("\r\n");
        std::string request_line = head.substr(0, line_end);
        auto space = request_line.find(' ');
        seen.method = request_line.substr(0, space);
        seen.target = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
        std::size_t at = line_end;
        while (at != std::string::npos && at + 2 < head.size()) {
            std::size_t next = head.find("\r\n", at + 2);
            std::string line =
                head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                seen.headers[lower(line.substr(0, colon))] = value;
            }
            at = next;
        }
        return seen;
    }

    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> count_{0};
    mutable std::mutex mutex_;
    std::deque<Reply> queue_;
    Reply default_;
    std::vector<Seen> seen_;
    std::thread acceptor_;
    std::vector<std::thread> workers_;
};

// Turns the loop until done() or the limit; true when done() became true.
inline bool run_until(uv_loop_t* loop, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 5, 5);
    auto deadline = std::chrono::steady_clock::now() + limit;
    bool ok = done();
    while (!ok && std::chrono::steady_clock::now() < deadline) {
        uv_run(loop, UV_RUN_ONCE);
        ok = done();
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(loop, UV_RUN_NOWAIT);
    return ok;
}

// Turns the loop for a while (to prove that something does NOT happen).
inline void run_for(uv_loop_t* loop, std::chrono::milliseconds duration) {
    (void)run_until(
        loop, [] { return false; }, duration);
}

// Runs the loop until every handle is closed and all work is done, then closes it.
inline int drain_and_close(uv_loop_t* loop) {
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop);
}

// Decodes one application/x-www-form-urlencoded body into fields.
inline std::map<std::string, std::string> decode_form(const std::string& body) {
    std::map<std::string, std::string> fields;
    auto decode = [](const std::string& text) {
        std::string out;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '%' && i + 2 < text.size()) {
                out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
                i += 2;
            } else {
                out.push_back(text[i] == '+' ? ' ' : text[i]);
            }
        }
        return out;
    };
    std::size_t start = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('&', start);
        std::string pair =
            body.substr(start, end == std::string::npos ? std::string::npos : end - start);
        auto eq = pair.find('=');
        if (!pair.empty())
            fields[decode(pair.substr(0, eq))] =
                eq == std::string::npos ? "" : decode(pair.substr(eq + 1));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return fields;
}

}  // namespace mb::oauth::test
