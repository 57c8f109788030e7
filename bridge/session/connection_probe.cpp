// The steps of ConnectionProbe and how an upstream failure maps onto the step that failed.
#include "bridge/session/connection_probe.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>

#include "bridge/session/account_directory.h"
#include "bridge/session/imap_upstream.h"
#include "bridge/session/pop3_upstream.h"
#include "bridge/session/smtp_upstream.h"
#include "bridge/session/upstream_settings.h"
#include "protocol/http/no_proxy.h"

namespace mb::session {
namespace {

using Millis = std::chrono::duration<double, std::milli>;

double ms(std::chrono::milliseconds d) {
    return static_cast<double>(d.count());
}

std::string first_address(const addrinfo* info) {
    char text[INET6_ADDRSTRLEN] = {0};
    for (const addrinfo* a = info; a; a = a->ai_next) {
        if (a->ai_family == AF_INET &&
            inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr, text,
                      sizeof text))
            return text;
        if (a->ai_family == AF_INET6 &&
            inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                      sizeof text))
            return text;
    }
    return {};
}

std::string tls_detail(const net::TlsSessionInfo& info) {
    std::string detail = info.protocol;
    if (!info.peer_subject.empty()) detail += ", " + info.peer_subject;
    if (info.peer_days_until_expiry)
        detail += *info.peer_days_until_expiry < 0
                      ? ", certificate EXPIRED " + std::to_string(-*info.peer_days_until_expiry) +
                            " day(s) ago"
                      : ", certificate expires in " + std::to_string(*info.peer_days_until_expiry) +
                            " day(s)";
    return detail;
}

}  // namespace

std::string_view probe_step_label(std::string_view name) {
    if (name == "tcp_connect") return "TCP connect";
    if (name == "proxy_connect") return "proxy CONNECT";
    if (name == "tls") return "TLS handshake";
    if (name == "starttls") return "STARTTLS";
    return name;
}

struct ConnectionProbe::Lookup {
    uv_getaddrinfo_t request{};
    std::function<void(int status, std::string address)> done;  // null once cancelled
};

ConnectionProbe::ConnectionProbe(std::shared_ptr<const SessionServices> services,
                                 const config::AccountSettings& account, std::string login)
    : services_(std::move(services)),
      account_(account),
      login_(std::move(login)),
      logout_timer_(services_->loop) {
    report_.server = services_->server->name;
}

ConnectionProbe::~ConnectionProbe() {
    done_ = nullptr;
    if (lookup_) {
        lookup_->done = nullptr;
        uv_cancel(reinterpret_cast<uv_req_t*>(&lookup_->request));
    }
}

double ConnectionProbe::since(Clock::time_point start) const {
    return Millis(Clock::now() - start).count();
}

void ConnectionProbe::add(std::string name, bool ok, Clock::duration time, std::string detail) {
    report_.steps.push_back({std::move(name), ok, Millis(time).count(), std::move(detail)});
}

void ConnectionProbe::run(Done done) {
    done_ = std::move(done);
    resolve();
}

// The name the TCP connection goes to: the proxy's when the upstream is reached through it.
void ConnectionProbe::resolve() {
    const auto& server = *services_->server;
    std::string host = server.upstream.host;
    if (services_->proxy && !protocol::http::bypasses_proxy(host, services_->proxy->no_proxy))
        host = services_->proxy->host;
    step_started_ = Clock::now();
    lookup_ = new Lookup;
    lookup_->request.data = lookup_;
    lookup_->done = [this, host](int status, std::string address) {
        lookup_ = nullptr;
        if (status != 0) {
            add("resolve", false, Clock::now() - step_started_,
                account_.name + ": cannot resolve " + host + ": " + uv_strerror(status) +
                    " (check the host name and the DNS)");
            finish();
            return;
        }
        add("resolve", true, Clock::now() - step_started_, host + " → " + address);
        prepare_upstream();
    };
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = uv_getaddrinfo(
        services_->loop, &lookup_->request,
        [](uv_getaddrinfo_t* request, int status, addrinfo* result) {
            auto* lookup = static_cast<Lookup*>(request->data);
            std::string address = status == 0 ? first_address(result) : "";
            if (result) uv_freeaddrinfo(result);
            auto done = std::move(lookup->done);
            delete lookup;
            if (done) done(status, std::move(address));
        },
        host.c_str(), nullptr, &hints);
    if (rc != 0) {
        auto done = std::move(lookup_->done);
        delete lookup_;
        lookup_ = nullptr;
        done(rc, {});
    }
}

void ConnectionProbe::prepare_upstream() {
    const auto settings = upstream_settings(*services_);
    switch (services_->server->protocol) {
        case config::Protocol::imap:
            upstream_ = std::make_unique<ImapUpstream>(services_->loop, settings, account_.sasl);
            break;
        case config::Protocol::pop3:
            upstream_ = std::make_unique<Pop3Upstream>(services_->loop, settings, account_.sasl);
            break;
        case config::Protocol::smtp:
            upstream_ = std::make_unique<SmtpUpstream>(
                services_->loop, settings, account_.sasl, "mailbridge-test.invalid",
                [](const std::optional<protocol::smtp::EhloCapabilities>&) {});
            break;
    }
    step_started_ = Clock::now();
    upstream_->prepare([this](const std::optional<UpstreamError>& error) { on_prepared(error); });
}

// prepare() runs TCP, proxy, TLS and the protocol's opening as one; the dial timings split it.
void ConnectionProbe::on_prepared(const std::optional<UpstreamError>& error) {
    const auto& t = upstream_->timings();
    const bool starttls = services_->server->upstream_tls == config::UpstreamTls::starttls;
    const double total = since(step_started_);
    const bool proxied = !t.proxy.empty();
    const double tcp = ms(t.proxy_connect.value_or(t.tcp));
    const bool tcp_done = t.proxy_connect.has_value() || t.tcp.count() > 0 || t.tls.has_value() ||
                          (!error || error->failure != UpstreamFailure::connect);
    double used = 0;
    auto push = [&](const char* name, double time, std::string detail) {
        report_.steps.push_back({name, true, time, std::move(detail)});
        used += time;
    };
    std::string failed_step;
    if (error) {
        switch (error->failure) {
            case UpstreamFailure::connect:
                failed_step = "tcp_connect";
                break;
            case UpstreamFailure::proxy:
            case UpstreamFailure::proxy_auth:
            case UpstreamFailure::proxy_refused:
                failed_step = "proxy_connect";
                break;
            case UpstreamFailure::tls:
                failed_step = "tls";
                break;
            case UpstreamFailure::starttls_missing:
                failed_step = "starttls";
                break;
            case UpstreamFailure::timeout:
                if (!tcp_done)
                    failed_step = "tcp_connect";
                else if (proxied && !t.proxy_tunnel)
                    failed_step = "proxy_connect";
                else if (!t.tls)
                    failed_step = starttls ? "starttls" : "tls";
                else
                    failed_step = starttls ? "tls" : "greeting";
                break;
            default:
                failed_step = starttls && !t.tls ? "starttls" : "greeting";
                break;
        }
    }
    // Steps in the order they happen, up to the failing one.
    std::vector<std::string> order = {"tcp_connect"};
    if (proxied) order.push_back("proxy_connect");
    if (starttls) {
        order.insert(order.end(), {"starttls", "tls"});
    } else {
        order.insert(order.end(), {"tls", "greeting"});
    }
    for (const auto& name : order) {
        if (name == failed_step) {
            report_.steps.push_back(
                {name, false, std::max(0.0, total - used), account_.name + ": " + error->message});
            finish();
            return;
        }
        if (name == "tcp_connect") {
            push("tcp_connect", tcp,
                 services_->server->upstream.to_string() +
                     (proxied ? " through proxy " + t.proxy : ""));
        } else if (name == "proxy_connect") {
            push("proxy_connect", ms(t.proxy_tunnel.value_or(std::chrono::milliseconds(0))),
                 t.proxy_auth_scheme.empty() ? "no authentication asked"
                                             : t.proxy_auth_scheme + " authentication");
        } else if (name == "tls") {
            push("tls", ms(t.tls.value_or(std::chrono::milliseconds(0))),
                 t.tls_info ? tls_detail(*t.tls_info) : "");
        } else {
            // What is left of prepare(): the greeting, capabilities and (STARTTLS) the upgrade.
            const double rest = std::max(
                0.0,
                total - used - (starttls ? ms(t.tls.value_or(std::chrono::milliseconds(0))) : 0.0));
            push(name.c_str(), rest, name == "starttls" ? "offered and accepted" : "");
        }
    }
    request_token();
}

void ConnectionProbe::request_token() {
    step_started_ = Clock::now();
    if (account_.auth == config::AccountAuth::password) {
        if (!services_->secrets) {
            add("password", false, Clock::now() - step_started_,
                account_.name + ": upstream passwords are not available");
            finish();
            return;
        }
        services_->secrets->resolve(
            "upstream_password of account " + account_.name, account_.upstream_password,
            [this](const Result<Secret>& password) {
                if (!done_) return;
                if (!password) {
                    add("password", false, Clock::now() - step_started_,
                        account_.name +
                            ": cannot read upstream_password: " + password.error().message);
                    finish();
                    return;
                }
                password_ = *password;
                add("password", true, Clock::now() - step_started_, "upstream_password read");
                authenticate();
            });
        return;
    }
    token_wait_ = services_->tokens->get_token(
        account_.name, login_,
        [this](const Result<oauth::AccessToken>& token) {
            if (!token) {
                add("token", false, Clock::now() - step_started_,
                    account_.name + ": cannot get an OAuth2 token: " + token.error().message);
                finish();
                return;
            }
            token_ = *token;
            const auto left =
                std::chrono::duration_cast<std::chrono::seconds>(token->expires_at - Clock::now());
            add("token", true, Clock::now() - step_started_,
                std::string(oauth::to_string(token->origin)) + ", expires in " +
                    std::to_string(left.count()) + " s");
            authenticate();
        },
        services_->server->proxy);
}

void ConnectionProbe::authenticate() {
    step_started_ = Clock::now();
    const bool by_password = account_.auth == config::AccountAuth::password;
    const std::string identity = AccountDirectory::upstream_identity(account_, login_);
    auto answered = [this, by_password, identity](Result<std::string> answer,
                                                  const UpstreamError& error) {
        if (!answer) {
            add("authenticate", false, Clock::now() - step_started_,
                error.failure == UpstreamFailure::auth_rejected && !by_password
                    ? account_.name + ": upstream rejected the OAuth2 token (" + error.message + ")"
                    : account_.name + ": " + error.message);
            finish();
            return;
        }
        add("authenticate", true, Clock::now() - step_started_,
            upstream_->auth_method() + " as " + identity);
        log_out();
    };
    if (by_password)
        upstream_->authenticate_password(identity, *password_, answered);
    else
        upstream_->authenticate(identity, token_->value, answered);
}

// The protocol's own goodbye; the step ends at its answer (or the server closing).
void ConnectionProbe::log_out() {
    step_started_ = Clock::now();
    logout_answer_ = upstream_->take_leftover();
    stream_ = upstream_->take_stream();
    stream_->set_handlers({.on_data = [this](std::string_view bytes) { on_logout_data(bytes); },
                           .on_drained = nullptr,
                           .on_closed =
                               [this](const net::CloseReason&) {
                                   if (!done_) return;
                                   add("logout", true, Clock::now() - step_started_,
                                       "the server closed the connection");
                                   finish();
                               }});
    auto armed = logout_timer_.start(services_->connect_timeout(), [this] {
        if (!done_) return;
        add("logout", false, Clock::now() - step_started_,
            "no answer to the logout within connect_timeout");
        finish();
    });
    if (!armed) {
        add("logout", false, Clock::now() - step_started_, armed.error().message);
        finish();
        return;
    }
    stream_->write(services_->server->protocol == config::Protocol::imap ? "mbt LOGOUT\r\n"
                                                                         : "QUIT\r\n");
    stream_->start_reading();
    on_logout_data({});
}

void ConnectionProbe::on_logout_data(std::string_view bytes) {
    if (!done_) return;
    logout_answer_.append(bytes);
    std::size_t start = 0;
    while (true) {
        const auto end = logout_answer_.find("\r\n", start);
        if (end == std::string::npos) break;
        const std::string_view line(logout_answer_.data() + start, end - start);
        start = end + 2;
        const bool final = services_->server->protocol == config::Protocol::imap
                               ? line.rfind("mbt ", 0) == 0
                               : line.rfind("+OK", 0) == 0 || line.rfind("-ERR", 0) == 0 ||
                                     (line.size() >= 4 && line[3] == ' ');
        if (!final) continue;
        add("logout", true, Clock::now() - step_started_, std::string(line.substr(0, 80)));
        stream_->close();
        finish();
        return;
    }
    logout_answer_.erase(0, start);
    if (logout_answer_.size() > 64 * 1024) logout_answer_.clear();
}

void ConnectionProbe::finish() {
    logout_timer_.close();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(report_));
}

}  // namespace mb::session
