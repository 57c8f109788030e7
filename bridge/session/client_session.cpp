// The protocol-neutral life of a client session: see client_session.h.
#include "bridge/session/client_session.h"

#include <spdlog/spdlog.h>

#include "bridge/health/metrics.h"
#include "bridge/net/tls_stream.h"
#include "protocol/printable_text.h"

namespace mb::session {

ClientSession::ClientSession(std::shared_ptr<const SessionServices> services,
                             std::unique_ptr<net::ByteStream> client, SessionHost& host,
                             UpstreamLogin::UpstreamFactory upstream_factory)
    : services_(std::move(services)),
      client_(std::move(client)),
      host_(host),
      peer_(client_->peer_address()),
      login_(services_, peer_, std::move(upstream_factory)) {}

ClientSession::~ClientSession() {
    if (client_) client_->set_handlers({});
}

void ClientSession::start() {
    services_->metrics->session_opened(services_->server->name);
    client_->set_handlers({
        .on_data =
            [this](std::string_view bytes) {
                if (!closing_) on_client_data(bytes);
            },
        .on_drained = {},
        .on_closed = [this](const net::CloseReason&) { finish(); },
    });
    reply(greeting());
    client_->start_reading();
    arm_preauth_timer();
    login_.prepare();  // overlap the upstream handshakes with the client's greeting and login
}

void ClientSession::arm_preauth_timer() {
    preauth_timer_.open([this](uv_timer_t* t) { return uv_timer_init(services_->loop, t); });
    preauth_timer_.get()->data = this;
    uv_timer_start(
        preauth_timer_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<ClientSession*>(t->data);
            if (self && !self->relay_)
                self->close_client(self->goodbye("idle too long before login"));
        },
        static_cast<uint64_t>(services_->prelogin_timeout().count()) * 1000, 0);
}

void ClientSession::reply(std::string bytes) {
    if (!client_) return;
    if (spdlog::should_log(spdlog::level::trace))
        spdlog::trace("{} {} S: {}", services_->server->name, peer_,
                      protocol::printable_trace_line(bytes));
    client_->write(std::move(bytes));
}

void ClientSession::pause_reading() {
    if (reading_paused_ || !client_) return;
    reading_paused_ = true;
    client_->stop_reading();
}

void ClientSession::resume_reading() {
    if (!reading_paused_ || !client_ || closing_) return;
    reading_paused_ = false;
    client_->start_reading();
}

bool ClientSession::can_start_tls() const {
    return services_->local_tls && services_->server->local_tls == config::LocalTls::starttls &&
           !local_tls_active_;
}

void ClientSession::start_local_tls(std::string ok_reply, std::function<void()> on_ready) {
    auto channel = net::TlsChannel::server(*services_->local_tls);
    if (!channel) {
        close_client(goodbye("cannot start TLS: " + channel.error().message));
        return;
    }
    reply(std::move(ok_reply));
    client_->stop_reading();
    client_->set_handlers({});
    auto tls = std::make_unique<net::TlsStream>(std::move(client_), std::move(channel.value()));
    tls->set_handshake_handler([this, on_ready = std::move(on_ready)] {
        local_tls_active_ = true;
        if (on_ready) on_ready();
    });
    tls->set_handlers({
        .on_data =
            [this](std::string_view bytes) {
                if (!closing_) on_client_data(bytes);
            },
        .on_drained = {},
        .on_closed = [this](const net::CloseReason&) { finish(); },
    });
    client_ = std::move(tls);
    if (!reading_paused_) client_->start_reading();
}

void ClientSession::run_login(std::string user, Secret password, UpstreamLogin::Done done) {
    login_.login(std::move(user), std::move(password), std::move(done));
}

void ClientSession::start_relay(LoginSuccess success, std::string to_client,
                                std::string_view to_upstream, RelaySetup setup) {
    preauth_timer_.close();
    if (success.account) account_ = success.account->name;
    reply(std::move(to_client));  // traced like every answer before it
    auto upstream = std::move(success.upstream);
    if (!to_upstream.empty()) upstream->write(to_upstream);
    std::string server = services_->server->name;
    health::Metrics* metrics = services_->metrics;
    relay_ = std::make_unique<Relay>(std::move(client_), std::move(upstream),
                                     RelayOptions{.idle_timeout = services_->idle_timeout()},
                                     Relay::Handlers{
                                         .on_bytes =
                                             [metrics, server](Relay::Side from, std::size_t n) {
                                                 metrics->bytes(
                                                     server,
                                                     from == Relay::Side::client
                                                         ? health::Direction::client_to_upstream
                                                         : health::Direction::upstream_to_client,
                                                     n);
                                             },
                                         .on_upstream_closed = std::move(setup.on_upstream_closed),
                                         .on_client_closed = std::move(setup.on_client_closed),
                                         .on_idle = [this] { return goodbye("idle timeout"); },
                                         .on_finished = [this] { finish(); },
                                     });
    if (setup.client_filter)
        relay_->set_filter(Relay::Side::client, std::move(setup.client_filter));
    if (setup.upstream_filter)
        relay_->set_filter(Relay::Side::upstream, std::move(setup.upstream_filter));
    relay_->start(success.leftover);
}

void ClientSession::close_client(std::string goodbye) {
    if (closing_) return;
    closing_ = true;
    login_.cancel();
    preauth_timer_.close();
    if (relay_) {
        relay_->shut_down(std::move(goodbye));
        return;
    }
    if (!goodbye.empty()) client_->write(std::move(goodbye));
    client_->close();
}

void ClientSession::shut_down(std::string_view reason) {
    close_client(goodbye(reason));
}

void ClientSession::finish() {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    login_.cancel();
    preauth_timer_.close();
    services_->metrics->session_closed(services_->server->name);
    host_.session_finished(this);
}

}  // namespace mb::session
