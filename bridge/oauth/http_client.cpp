// libcurl multi driven by libuv (see http_client.h). curl tells us which sockets to watch
// (CURLMOPT_SOCKETFUNCTION → one uv_poll per socket) and when to wake it (CURLMOPT_TIMERFUNCTION →
// one uv_timer); both call curl_multi_socket_action, after which finished transfers are reported.
#include "bridge/oauth/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "bridge/net/uv_handle.h"
#include "bridge/net/uv_timer.h"
#include "bridge/version.h"

namespace mb::oauth {
namespace {

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower_first(std::string text) {
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

std::string seconds_text(std::chrono::milliseconds ms) {
    auto tenths = ms.count() / 100;
    std::string text = std::to_string(tenths / 10);
    if (tenths % 10) text += "." + std::to_string(tenths % 10);
    return text + " s";
}

long proxy_auth_mask(HttpProxy::Auth auth) {
    switch (auth) {
        case HttpProxy::Auth::none:
            return CURLAUTH_NONE;
        case HttpProxy::Auth::basic:
            return CURLAUTH_BASIC;
        case HttpProxy::Auth::digest:
            return CURLAUTH_DIGEST;
        case HttpProxy::Auth::any:
            return CURLAUTH_BASIC | CURLAUTH_DIGEST;
    }
    return CURLAUTH_NONE;
}

}  // namespace

struct HttpCall::Engine : std::enable_shared_from_this<HttpCall::Engine> {
    struct Transfer {
        std::uint64_t id = 0;
        CURL* easy = nullptr;
        curl_slist* headers = nullptr;
        HttpRequest request;
        HttpCallback callback;
        std::string received;
        bool too_large = false;
        char error_text[CURL_ERROR_SIZE] = {};

        ~Transfer() {
            if (headers) curl_slist_free_all(headers);
        }
    };

    explicit Engine(uv_loop_t* event_loop)
        : loop(event_loop), timer(event_loop), failure_timer(event_loop) {
        init_curl_once();
        multi = curl_multi_init();
        curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Engine::on_curl_socket);
        curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
        curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Engine::on_curl_timer);
        curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    }

    // Removes every transfer without calling back and releases curl and the handles.
    void shutdown() {
        if (closed) return;
        closed = true;
        auto doomed = std::move(transfers);
        transfers.clear();
        for (auto& [id, transfer] : doomed) release(*transfer);
        curl_multi_cleanup(multi);
        multi = nullptr;
        polls.clear();
        timer.close();
        failure_timer.close();
    }

    std::uint64_t start(HttpRequest request, HttpCallback callback) {
        auto transfer = std::make_unique<Transfer>();
        transfer->id = ++next_id;
        transfer->request = std::move(request);
        transfer->callback = std::move(callback);
        std::uint64_t id = transfer->id;
        Transfer& t = *transfer;
        transfers.emplace(id, std::move(transfer));
        if (!configure(t) || curl_multi_add_handle(multi, t.easy) != CURLM_OK) {
            if (t.easy) {
                curl_easy_cleanup(t.easy);
                t.easy = nullptr;
            }
            failed_setup.push_back(id);
            auto started = failure_timer.start(std::chrono::milliseconds(0),
                                               [this] { report_failed_setups(); });
            if (!started)
                spdlog::error("HTTP request {} can neither start nor fail: {}", id,
                              started.error().message);
        }
        return id;
    }

    void cancel(std::uint64_t id) {
        auto it = transfers.find(id);
        if (it == transfers.end()) return;
        auto transfer = std::move(it->second);
        transfers.erase(it);
        release(*transfer);
    }

    bool configure(Transfer& t) {
        t.easy = curl_easy_init();
        if (!t.easy) return false;
        const HttpRequest& r = t.request;
        CURL* e = t.easy;
        curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(r.connect_timeout.count()));
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!r.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, r.ca_file.c_str());
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "mailbridge/" MAILBRIDGE_VERSION);
        curl_easy_setopt(e, CURLOPT_PRIVATE,
                         reinterpret_cast<void*>(static_cast<std::uintptr_t>(t.id)));
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_text);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Engine::on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                         static_cast<curl_off_t>(kMaxHttpResponseBytes));
        t.headers = curl_slist_append(t.headers, "Accept: application/json");
        if (!r.bearer.empty()) {
            const Secret authorization("Authorization: Bearer " + r.bearer.reveal());
            t.headers = curl_slist_append(t.headers, authorization.reveal().c_str());
        }
        if (r.post) {
            std::string content_type = "Content-Type: " + r.content_type;
            t.headers = curl_slist_append(t.headers, content_type.c_str());
            t.headers = curl_slist_append(t.headers, "Expect:");
            curl_easy_setopt(e, CURLOPT_POST, 1L);
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.reveal().data());
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(r.body.reveal().size()));
        } else {
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        }
        if (!t.headers) return false;
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
        configure_proxy(e, r.proxy);
        return true;
    }

    // Without a proxy the environment's http_proxy/no_proxy must not apply: "" disables both.
    static void configure_proxy(CURL* e, const std::optional<HttpProxy>& proxy) {
        if (!proxy) {
            curl_easy_setopt(e, CURLOPT_PROXY, "");
            return;
        }
        curl_easy_setopt(e, CURLOPT_PROXY, proxy->url.c_str());
        // Always CONNECT, even to an http:// endpoint: the proxy relays bytes and never handles
        // the form with the client secret itself (corporate proxies often allow only CONNECT).
        curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
        std::string no_proxy;
        for (const auto& host : proxy->no_proxy) no_proxy += (no_proxy.empty() ? "" : ",") + host;
        curl_easy_setopt(e, CURLOPT_NOPROXY, no_proxy.c_str());
        curl_easy_setopt(e, CURLOPT_PROXYAUTH, proxy_auth_mask(proxy->auth));
        if (proxy->auth != HttpProxy::Auth::none && !proxy->username.empty()) {
            curl_easy_setopt(e, CURLOPT_PROXYUSERNAME, proxy->username.c_str());
            curl_easy_setopt(e, CURLOPT_PROXYPASSWORD, proxy->password.reveal().c_str());
        }
        curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
        if (!proxy->ca_file.empty())
            curl_easy_setopt(e, CURLOPT_PROXY_CAINFO, proxy->ca_file.c_str());
    }

    void release(Transfer& t) {
        if (!t.easy) return;
        if (multi) curl_multi_remove_handle(multi, t.easy);
        curl_easy_cleanup(t.easy);
        t.easy = nullptr;
    }

    HttpResult result_of(Transfer& t, CURLcode code) {
        HttpResult result;
        if (code == CURLE_OK) {
            curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &result.status);
            curl_off_t retry_after = 0;
            if (curl_easy_getinfo(t.easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
                retry_after > 0)
                result.retry_after = std::chrono::seconds(retry_after);
            result.body = std::move(t.received);
            return result;
        }
        long os_errno = 0;
        curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
        std::string curl_text = t.error_text[0] ? t.error_text : curl_easy_strerror(code);
        result.detail = lower_first(curl_text);
        switch (code) {
            case CURLE_COULDNT_RESOLVE_HOST:
                result.failure = HttpFailure::resolve;
                result.detail = "host name not found";
                break;
            case CURLE_COULDNT_RESOLVE_PROXY:
            case CURLE_PROXY:
                result.failure = HttpFailure::proxy;
                break;
            case CURLE_COULDNT_CONNECT:
            case CURLE_SEND_ERROR:
            case CURLE_RECV_ERROR:
            case CURLE_GOT_NOTHING:
            case CURLE_PARTIAL_FILE:
                result.failure = HttpFailure::connect;
                if (os_errno != 0)
                    result.detail = lower_first(std::strerror(static_cast<int>(os_errno)));
                break;
            case CURLE_OPERATION_TIMEDOUT:
                result.failure = HttpFailure::timeout;
                result.detail = "no answer within " + seconds_text(t.request.total_timeout);
                break;
            case CURLE_SSL_CONNECT_ERROR:
            case CURLE_PEER_FAILED_VERIFICATION:
            case CURLE_SSL_CERTPROBLEM:
            case CURLE_SSL_CIPHER:
            case CURLE_SSL_CACERT_BADFILE:
            case CURLE_SSL_ISSUER_ERROR:
            case CURLE_SSL_CRL_BADFILE:
                result.failure = HttpFailure::tls;
                break;
            case CURLE_WRITE_ERROR:
            case CURLE_FILESIZE_EXCEEDED:
                result.failure = t.too_large || code == CURLE_FILESIZE_EXCEEDED
                                     ? HttpFailure::too_large
                                     : HttpFailure::other;
                if (result.failure == HttpFailure::too_large)
                    result.detail = "answer larger than " +
                                    std::to_string(kMaxHttpResponseBytes / 1024) + " KiB";
                break;
            default:
                result.failure = HttpFailure::other;
                break;
        }
        return result;
    }

    // Reports every finished transfer. A callback may start or cancel requests, or destroy the
    // client (closed is then set and the loop stops).
    void report_finished() {
        auto self = shared_from_this();
        while (!closed) {
            int left = 0;
            CURLMsg* message = curl_multi_info_read(multi, &left);
            if (!message) break;
            if (message->msg != CURLMSG_DONE) continue;
            void* private_data = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &private_data);
            auto id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(private_data));
            CURLcode code = message->data.result;
            auto it = transfers.find(id);
            if (it == transfers.end()) continue;
            auto transfer = std::move(it->second);
            transfers.erase(it);
            HttpResult result = result_of(*transfer, code);
            release(*transfer);
            if (transfer->callback) transfer->callback(std::move(result));
        }
    }

    void socket_action(curl_socket_t socket, int flags) {
        if (closed) return;
        int running = 0;
        curl_multi_socket_action(multi, socket, flags, &running);
        report_finished();
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
        auto* t = static_cast<Transfer*>(user);
        std::size_t bytes = size * count;
        if (t->received.size() + bytes > kMaxHttpResponseBytes) {
            t->too_large = true;
            return 0;
        }
        t->received.append(data, bytes);
        return bytes;
    }

    static int on_curl_socket(CURL*, curl_socket_t socket, int what, void* user, void*) {
        auto* self = static_cast<Engine*>(user);
        if (what == CURL_POLL_REMOVE) {
            self->polls.erase(socket);
            return 0;
        }
        auto& poll = self->polls[socket];
        if (!poll.is_open()) {
            if (poll.open(
                    [&](uv_poll_t* p) { return uv_poll_init_socket(self->loop, p, socket); }) < 0) {
                self->polls.erase(socket);
                return -1;
            }
            poll.get()->data = self;
        }
        int events = 0;
        if (what & CURL_POLL_IN) events |= UV_READABLE;
        if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
        uv_poll_start(poll.get(), events, &Engine::on_poll);
        return 0;
    }

    static void on_poll(uv_poll_t* handle, int status, int events) {
        auto* self = static_cast<Engine*>(handle->data);
        if (!self) return;
        uv_os_fd_t fd;
        if (uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &fd) != 0) return;
        int flags = 0;
        if (status < 0) flags |= CURL_CSELECT_ERR;
        if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
        self->socket_action(fd, flags);
    }

    // A timer curl cannot have makes it fail the transfers under way (return -1).
    static int on_curl_timer(CURLM*, long timeout_ms, void* user) {
        auto* self = static_cast<Engine*>(user);
        if (timeout_ms < 0) {
            self->timer.stop();
            return 0;
        }
        auto started = self->timer.start(std::chrono::milliseconds(timeout_ms),
                                         [self] { self->socket_action(CURL_SOCKET_TIMEOUT, 0); });
        return started ? 0 : -1;
    }

    void report_failed_setups() {
        auto keep = shared_from_this();
        auto ids = std::move(failed_setup);
        failed_setup.clear();
        for (std::uint64_t id : ids) {
            if (closed) return;
            auto it = transfers.find(id);
            if (it == transfers.end()) continue;
            auto transfer = std::move(it->second);
            transfers.erase(it);
            HttpResult result;
            result.failure = HttpFailure::other;
            result.detail = "could not set up the HTTP request (out of memory or bad URL)";
            if (transfer->callback) transfer->callback(std::move(result));
        }
    }

    uv_loop_t* loop;
    CURLM* multi = nullptr;
    net::UvTimer timer;
    net::UvTimer failure_timer;
    std::unordered_map<curl_socket_t, net::UvHandle<uv_poll_t>> polls;
    std::unordered_map<std::uint64_t, std::unique_ptr<Transfer>> transfers;
    std::vector<std::uint64_t> failed_setup;
    std::uint64_t next_id = 0;
    bool closed = false;
};

HttpCall::HttpCall(std::weak_ptr<Engine> engine, std::uint64_t id)
    : engine_(std::move(engine)), id_(id) {}

HttpCall::HttpCall(HttpCall&& other) noexcept
    : engine_(std::move(other.engine_)), id_(std::exchange(other.id_, 0)) {}

HttpCall& HttpCall::operator=(HttpCall&& other) noexcept {
    if (this != &other) {
        cancel();
        engine_ = std::move(other.engine_);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

HttpCall::~HttpCall() {
    cancel();
}

void HttpCall::cancel() {
    if (auto engine = engine_.lock(); engine && id_ != 0) engine->cancel(id_);
    engine_.reset();
    id_ = 0;
}

bool HttpCall::active() const {
    auto engine = engine_.lock();
    return engine && id_ != 0 && engine->transfers.count(id_) != 0;
}

HttpClient::HttpClient(uv_loop_t* loop) : engine_(std::make_shared<HttpCall::Engine>(loop)) {}

HttpClient::~HttpClient() {
    engine_->shutdown();
}

HttpCall HttpClient::start(HttpRequest request, HttpCallback callback) {
    std::uint64_t id = engine_->start(std::move(request), std::move(callback));
    return HttpCall(engine_, id);
}

std::size_t HttpClient::active_requests() const {
    return engine_->transfers.size();
}

}  // namespace mb::oauth
