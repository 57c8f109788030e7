// Accepting, refusing and reaping client sessions for ServerListener.
#include "bridge/daemon/server_listener.h"

#include <spdlog/spdlog.h>

#include "bridge/health/metrics.h"
#include "bridge/net/tls_stream.h"
#include "bridge/session/imap_session.h"
#include "bridge/session/pop3_session.h"
#include "bridge/session/smtp_session.h"
#include "protocol/imap/response_builder.h"

namespace mb::daemon {

ServerListener::ServerListener(uv_loop_t* loop,
                               std::shared_ptr<const session::SessionServices> services,
                               std::size_t& active_sessions)
    : loop_(loop),
      services_(std::move(services)),
      active_sessions_(active_sessions),
      reaper_(loop) {}

ServerListener::~ServerListener() {
    active_sessions_ -= sessions_.size();
}

Result<void> ServerListener::start() {
    const auto& server = *services_->server;
    auto listener = net::TcpListener::listen(
        loop_, server.listen.host, server.listen.port,
        [this](std::unique_ptr<net::TcpStream> stream) { on_accept(std::move(stream)); });
    if (!listener) {
        error_ = listener.error().message;
        return make_error("[[server]] " + server.name + ": " + error_);
    }
    listener_ = std::move(listener.value());
    error_.clear();
    spdlog::info("listening for {} on {} (server {}, upstream {} with {} TLS)",
                 server.protocol == config::Protocol::imap   ? "IMAP"
                 : server.protocol == config::Protocol::pop3 ? "POP3"
                                                             : "SMTP",
                 server.listen.to_string(), server.name, server.upstream.to_string(),
                 server.upstream_tls == config::UpstreamTls::implicit ? "implicit" : "STARTTLS");
    return {};
}

void ServerListener::stop_accepting() {
    if (listener_) listener_->stop();
}

void ServerListener::update_services(std::shared_ptr<const session::SessionServices> services) {
    services_ = std::move(services);
}

void ServerListener::on_accept(std::unique_ptr<net::TcpStream> stream) {
    const auto& daemon = services_->config->daemon;
    if (active_sessions_ >= static_cast<std::size_t>(daemon.max_sessions)) {
        refuse(std::move(stream));
        return;
    }
    (void)stream->set_nodelay(true);
    (void)stream->set_keepalive(true, 60);
    std::unique_ptr<net::ByteStream> client = std::move(stream);
    if (services_->server->local_tls == config::LocalTls::implicit && services_->local_tls) {
        auto channel = net::TlsChannel::server(*services_->local_tls);
        if (!channel) {
            spdlog::error("server {}: cannot start local TLS: {}", services_->server->name,
                          channel.error().message);
            return;
        }
        client = std::make_unique<net::TlsStream>(std::move(client), std::move(channel.value()));
    }
    auto session = make_session(std::move(client));
    auto* raw = session.get();
    sessions_.emplace(raw, std::move(session));
    ++active_sessions_;
    raw->start();
}

std::unique_ptr<session::Session> ServerListener::make_session(
    std::unique_ptr<net::ByteStream> stream) {
    switch (services_->server->protocol) {
        case config::Protocol::pop3:
            return std::make_unique<session::Pop3Session>(services_, std::move(stream), *this);
        case config::Protocol::smtp:
            return std::make_unique<session::SmtpSession>(services_, std::move(stream), *this);
        case config::Protocol::imap:
            break;
    }
    return std::make_unique<session::ImapSession>(services_, std::move(stream), *this);
}

void ServerListener::refuse(std::unique_ptr<net::TcpStream> stream) {
    services_->metrics->session_refused(services_->server->name);
    std::string text = "mailbridge: too many sessions (max_sessions = " +
                       std::to_string(services_->config->daemon.max_sessions) +
                       "); try again later";
    switch (services_->server->protocol) {
        case config::Protocol::imap:
            stream->write(protocol::imap::bye_response(text));
            break;
        case config::Protocol::pop3:
            stream->write("-ERR [SYS/TEMP] " + text + "\r\n");
            break;
        case config::Protocol::smtp:
            stream->write("421 4.3.2 " + text + "\r\n");
            break;
    }
    auto* raw = stream.get();
    raw->set_handlers(
        {.on_data = {}, .on_drained = {}, .on_closed = [this, raw](const net::CloseReason&) {
             auto it = refused_.find(raw);
             if (it == refused_.end()) return;
             closed_streams_.push_back(std::move(it->second));
             refused_.erase(it);
             reap();
         }});
    raw->close();
    refused_.emplace(raw, std::move(stream));
}

void ServerListener::shut_down_sessions(std::string_view reason) {
    std::vector<session::Session*> all;
    for (auto& [raw, owned] : sessions_) all.push_back(raw);
    for (auto* session : all) session->shut_down(reason);
}

void ServerListener::shut_down_sessions_of(std::string_view account, std::string_view reason) {
    std::vector<session::Session*> chosen;
    for (auto& [raw, owned] : sessions_)
        if (raw->account() == account) chosen.push_back(raw);
    for (auto* session : chosen) session->shut_down(reason);
}

void ServerListener::session_finished(session::Session* session) {
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    finished_.push_back(std::move(it->second));
    sessions_.erase(it);
    --active_sessions_;
    reap();
}

void ServerListener::reap() {
    auto started = reaper_.start(std::chrono::milliseconds(0), [this] {
        finished_.clear();
        closed_streams_.clear();
    });
    if (!started)
        spdlog::error("server {}: ended sessions stay allocated: {}", services_->server->name,
                      started.error().message);
}

}  // namespace mb::daemon
