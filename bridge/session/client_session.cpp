// The protocol-neutral life of a client session: see client_session.h.
#include "bridge/session/client_session.h"

#include <spdlog/spdlog.h>

#include "bridge/health/metrics.h"
#include "bridge/net/tls_stream.h"
#include "protocol/printable_text.h"

namespace mb::session {

namespace {

// Replies the client has not read before the session stops reading its commands, and the level
// they must drain to before it reads again.
constexpr std::size_t kMaxPreLoginBacklog = 1 << 20;
constexpr std::size_t kBacklogResume = 64 * 1024;

}  // namespace

ClientSession::ClientSession(std::shared_ptr<const SessionServices> services,
                             std::unique_ptr<net::ByteStream> client, SessionHost& host,
                             UpstreamLogin::UpstreamFactory upstream_factory)
    : services_(std::move(services)),
      client_(std::move(client)),
      host_(host),
      peer_(client_->peer_address()),
      login_(services_, peer_, std::move(upstream_factory)),
      preauth_timer_(services_->loop) {}

ClientSession::~ClientSession() {
    *alive_ = false;
    if (client_) client_->set_handlers({});
}

void ClientSession::on_client_data(std::string_view bytes) {
    prelogin_dialogue().feed(bytes);
    run_actions();
}

void ClientSession::run_actions() {
    protocol::PreLoginDialogue* dialogue = &prelogin_dialogue();
    if (running_actions_) return;  // a nested call: the loop below goes on
    running_actions_ = true;
    auto alive = alive_;
    while (*alive && !closing_ && !relay_) {
        auto action = dialogue->next_action();
        if (!action) break;
        using Kind = protocol::PreLoginAction::Kind;
        switch (action->kind) {
            case Kind::reply:
                reply(std::move(action->bytes));
                break;
            case Kind::command:
                if (spdlog::should_log(spdlog::level::trace))
                    spdlog::trace("{} {} C: {}", services_->server->name, peer_,
                                  protocol::printable(action->bytes));
                break;
            case Kind::start_tls:
                start_local_tls(
                    std::move(action->bytes),
                    [this, dialogue] {
                        dialogue->tls_started();
                        run_actions();
                    },
                    [dialogue](std::string_view reason) { dialogue->tls_unavailable(reason); });
                break;
            case Kind::login:
                run_login(std::move(action->user), std::move(action->password),
                          [this](std::optional<LoginSuccess> success, const LoginFailure& failure) {
                              on_dialogue_login(std::move(success), failure);
                          });
                break;
            case Kind::close:
                close_client(std::move(action->bytes));
                break;
        }
    }
    if (!*alive) return;
    running_actions_ = false;
    if (!closing_ && !relay_) {
        reading_paused_ = !dialogue->wants_input();
        update_reading();
    }
}

void ClientSession::on_dialogue_login(std::optional<LoginSuccess> success,
                                      const LoginFailure& failure) {
    protocol::PreLoginDialogue* dialogue = &prelogin_dialogue();
    if (!success) {
        dialogue->login_refused({.temporary = failure.temporary,
                                 .message = failure.message,
                                 .upstream_code = failure.upstream_code,
                                 .close_connection = failure.close_connection});
        run_actions();
        return;
    }
    std::string answer = dialogue->logged_in(success->final_answer);
    std::string pipelined = dialogue->take_pipelined();
    on_logged_in(std::move(*success), std::move(answer), std::move(pipelined));
}

void ClientSession::start() {
    services_->metrics->session_opened(services_->server->name);
    install_client_handlers(*client_);
    reply(prelogin_dialogue().greeting());
    update_reading();
    arm_preauth_timer();
    // Overlap the upstream handshakes with the client's greeting and login.
    const bool dialing = login_.prepare();
    on_started(dialing);
}

void ClientSession::install_client_handlers(net::ByteStream& stream) {
    stream.set_low_water_mark(kBacklogResume);
    stream.set_handlers({
        .on_data =
            [this](std::string_view bytes) {
                if (!closing_) on_client_data(bytes);
            },
        .on_drained =
            [this] {
                if (!backlog_paused_ || closing_) return;
                backlog_paused_ = false;
                update_reading();
            },
        .on_closed = [this](const net::CloseReason&) { finish(); },
    });
}

void ClientSession::update_reading() {
    const bool want = !reading_paused_ && !backlog_paused_ && !closing_;
    if (want == reading_ || !client_) return;
    reading_ = want;
    if (want)
        client_->start_reading();
    else
        client_->stop_reading();
}

void ClientSession::arm_preauth_timer() {
    auto armed = preauth_timer_.start(services_->prelogin_timeout(), [this] {
        if (!relay_) close_client(idle_goodbye("idle too long before login"));
    });
    if (!armed) close_client(goodbye("cannot start the pre-login timer: " + armed.error().message));
}

void ClientSession::reply(std::string bytes) {
    if (!client_ || bytes.empty()) return;
    if (spdlog::should_log(spdlog::level::trace))
        spdlog::trace("{} {} S: {}", services_->server->name, peer_,
                      protocol::printable_trace_line(bytes));
    client_->write(std::move(bytes));
    if (!backlog_paused_ && !relay_ && client_->queued_bytes() > kMaxPreLoginBacklog) {
        backlog_paused_ = true;
        update_reading();
    }
}

bool ClientSession::listener_offers_starttls(const SessionServices& services) {
    return services.local_tls && services.server->local_tls == config::LocalTls::starttls;
}

bool ClientSession::can_start_tls() const {
    return listener_offers_starttls(*services_) && !local_tls_active_;
}

void ClientSession::start_local_tls(std::string ok_reply, std::function<void()> on_ready,
                                    std::function<void(std::string_view)> on_unavailable) {
    auto channel = net::TlsChannel::server(*services_->local_tls);
    if (!channel) {
        if (on_unavailable)
            on_unavailable(channel.error().message);
        else
            close_client(goodbye("cannot start TLS: " + channel.error().message));
        return;
    }
    reply(std::move(ok_reply));
    client_->stop_reading();
    reading_ = false;
    client_->set_handlers({});
    auto tls = std::make_unique<net::TlsStream>(std::move(client_), std::move(channel.value()));
    tls->set_handshake_handler([this, on_ready = std::move(on_ready)] {
        local_tls_active_ = true;
        if (on_ready) on_ready();
    });
    install_client_handlers(*tls);
    client_ = std::move(tls);
    update_reading();  // the handshake needs the transport read
}

void ClientSession::run_login(std::string user, Secret password, UpstreamLogin::Done done) {
    login_.login(std::move(user), std::move(password), std::move(done));
}

void ClientSession::start_relay(LoginSuccess success, std::string to_client,
                                std::string_view to_upstream, RelaySetup setup) {
    preauth_timer_.close();
    if (success.account) account_ = success.account->name;
    reply(std::move(to_client));  // traced like every answer before it
    client_->stop_reading();      // the relay reads from here on
    reading_ = false;
    auto upstream = std::move(success.upstream);
    if (!to_upstream.empty()) upstream->write(to_upstream);
    std::string server = services_->server->name;
    health::Metrics* metrics = services_->metrics;
    relay_ = std::make_unique<Relay>(std::move(client_), std::move(upstream),
                                     RelayOptions{.idle_timeout = services_->idle_timeout()},
                                     Relay::Handlers{
                                         .on_bytes = relay_byte_counters(metrics, server),
                                         .on_upstream_closed = std::move(setup.on_upstream_closed),
                                         .on_client_closed = std::move(setup.on_client_closed),
                                         .on_idle = [this] { return idle_goodbye("idle timeout"); },
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
