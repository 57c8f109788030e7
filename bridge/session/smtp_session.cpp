// The SMTP session's pre-login dialogue, login sequence (local password → token → upstream AUTH,
// one token retry) and hand-over to the Relay.
#include "bridge/session/smtp_session.h"

#include <spdlog/spdlog.h>

#include "bridge/health/metrics.h"
#include "bridge/net/tls_stream.h"
#include "bridge/session/smtp_relay_trace.h"
#include "bridge/session/smtp_upstream.h"
#include "bridge/session/upstream_settings.h"
#include "protocol/printable_text.h"
#include "protocol/sasl/login.h"
#include "protocol/sasl/plain.h"
#include "protocol/smtp/command_parser.h"
#include "protocol/smtp/limits.h"
#include "protocol/smtp/reply_builder.h"

namespace mb::session {
namespace smtp = protocol::smtp;
using smtp::CommandKind;

namespace {

// Unprocessed input kept before login: a pipelined group of commands with a long AUTH line.
constexpr std::size_t kMaxPreLoginInput = 4 * smtp::limits::kMaxAuthLine;
// Replies the client has not read before the session stops reading its commands.
constexpr std::size_t kMaxPreLoginBacklog = 1 << 20;
constexpr std::size_t kBacklogResume = 64 * 1024;

std::string host_name() {
    char name[256];
    std::size_t size = sizeof(name);
    if (uv_os_gethostname(name, &size) != 0 || size == 0) return "localhost";
    return std::string(name, size);
}

}  // namespace

SmtpSession::SmtpSession(std::shared_ptr<const SessionServices> services,
                         std::unique_ptr<net::ByteStream> client, SessionHost& host)
    : services_(std::move(services)),
      client_(std::move(client)),
      host_(host),
      domain_(host_name()),
      framer_({.max_line = smtp::limits::kMaxAuthLine,
               .bare_lf = protocol::LineFramer::BareLf::Rejected}),
      login_(services_, client_->peer_address(),
             [this](const config::AccountSettings* account) { return make_upstream(account); }) {}

SmtpSession::~SmtpSession() {
    *alive_ = false;
    if (client_) client_->set_handlers({});
}

std::unique_ptr<UpstreamClient> SmtpSession::make_upstream(const config::AccountSettings* account) {
    return std::make_unique<SmtpUpstream>(
        services_->loop, upstream_settings(*services_),
        account ? account->sasl : config::SaslMechanism::auto_select, domain_,
        [this](const std::optional<smtp::EhloCapabilities>& caps) {
            on_upstream_capabilities(caps);
        });
}

void SmtpSession::on_upstream_capabilities(const std::optional<smtp::EhloCapabilities>& caps) {
    if (caps) {
        upstream_capabilities_ = *caps;
        upstream_offer_ = UpstreamOffer::known;
    } else if (upstream_offer_ == UpstreamOffer::unknown) {
        upstream_offer_ = UpstreamOffer::unavailable;
    }
    // Called from inside the upstream's read: answer the waiting EHLO from a later loop turn.
    if (waiting_for_upstream_) resume_soon();
}

void SmtpSession::resume_soon() {
    if (!resume_timer_.is_open()) {
        resume_timer_.open([this](uv_timer_t* t) { return uv_timer_init(services_->loop, t); });
        resume_timer_.get()->data = this;
    }
    uv_timer_start(
        resume_timer_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<SmtpSession*>(t->data);
            if (!self || !self->waiting_for_upstream_ || self->state_ == State::closing) return;
            self->waiting_for_upstream_ = false;
            self->reply(self->ehlo_answer());
            self->update_reading();
            self->process_input();
        },
        0, 0);
}

void SmtpSession::start() {
    services_->metrics->session_opened(services_->server->name);
    client_->set_low_water_mark(kBacklogResume);
    client_->set_handlers({
        .on_data = [this](std::string_view bytes) { on_client_data(bytes); },
        .on_drained =
            [this] {
                if (!backlog_paused_) return;
                backlog_paused_ = false;
                update_reading();
                process_input();
            },
        .on_closed = [this](const net::CloseReason&) { finish(); },
    });
    reply(smtp::greeting_reply(domain_, "ESMTP mailbridge"));
    update_reading();
    arm_preauth_timer();
    // Overlap the upstream handshakes with the client's EHLO and AUTH. Without an early dial, EHLO
    // is answered with what the bridge itself handles (a later EHLO shows the upstream's).
    if (!login_.prepare()) upstream_offer_ = UpstreamOffer::unavailable;
}

void SmtpSession::arm_preauth_timer() {
    if (!preauth_timer_.is_open()) {
        preauth_timer_.open([this](uv_timer_t* t) { return uv_timer_init(services_->loop, t); });
        preauth_timer_.get()->data = this;
    }
    uv_timer_start(
        preauth_timer_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<SmtpSession*>(t->data);
            if (self && self->state_ != State::relaying)
                self->close_client(
                    smtp::reply(421, "4.4.2", "mailbridge: idle too long before login"));
        },
        static_cast<uint64_t>(services_->prelogin_timeout().count()) * 1000, 0);
}

void SmtpSession::reply(std::string bytes) {
    if (spdlog::should_log(spdlog::level::trace))
        spdlog::trace("smtp {} S: {}", client_->peer_address(),
                      protocol::printable_trace_line(bytes));
    client_->write(std::move(bytes));
    if (!backlog_paused_ && client_->queued_bytes() > kMaxPreLoginBacklog) {
        backlog_paused_ = true;
        update_reading();
    }
}

void SmtpSession::update_reading() {
    bool want = !backlog_paused_ && !waiting_for_upstream_ &&
                (state_ == State::command || state_ == State::auth_plain ||
                 state_ == State::auth_login_user || state_ == State::auth_login_password);
    if (want == reading_ || !client_) return;
    reading_ = want;
    if (want)
        client_->start_reading();
    else
        client_->stop_reading();
}

void SmtpSession::on_client_data(std::string_view bytes) {
    if (state_ == State::closing || state_ == State::relaying) return;
    if (input_.size() + bytes.size() > kMaxPreLoginInput) {
        close_client(smtp::reply(
            421, "4.7.0", "mailbridge: too much input before login; closing the connection"));
        return;
    }
    input_.append(bytes);
    process_input();
}

void SmtpSession::process_input() {
    auto alive = alive_;
    while (*alive && !input_.empty() && reading_) {
        auto outcome = framer_.next(input_);
        switch (outcome.status) {
            case protocol::LineFramer::Status::NeedMore:
                input_.clear();  // the framer keeps the partial line
                return;
            case protocol::LineFramer::Status::LineTooLong:
            case protocol::LineFramer::Status::BareLineFeed: {
                input_.erase(0, outcome.consumed);
                if (state_ != State::command) state_ = State::command;  // the AUTH exchange ends
                reply(outcome.status == protocol::LineFramer::Status::LineTooLong
                          ? smtp::line_too_long_error().reply()
                          : smtp::bare_line_feed_error().reply());
                break;
            }
            case protocol::LineFramer::Status::Line: {
                std::string line(outcome.line);  // copy before erasing: it may point into input_
                input_.erase(0, outcome.consumed);
                handle_line(line);
                break;
            }
        }
    }
}

void SmtpSession::handle_line(std::string_view line) {
    switch (state_) {
        case State::auth_plain:
            on_plain_response(line);
            return;
        case State::auth_login_user:
            on_login_user(line);
            return;
        case State::auth_login_password:
            on_login_password(line);
            return;
        case State::command:
            dispatch(line);
            return;
        default:
            return;
    }
}

bool SmtpSession::can_starttls() const {
    return services_->local_tls && services_->server->local_tls == config::LocalTls::starttls &&
           !local_tls_active_;
}

std::string SmtpSession::ehlo_answer() const {
    smtp::EhloCapabilities offered = upstream_capabilities_;
    if (upstream_offer_ != UpstreamOffer::known) {
        // The upstream is unreachable, so no message can go anywhere yet; offer what the bridge
        // itself handles, and let AUTH report why the upstream is unavailable.
        offered = {};
        offered.pipelining = true;
        offered.enhanced_status_codes = true;
    }
    // On a STARTTLS listener, until TLS is up, AUTH is neither offered nor taken.
    return smtp::ehlo_reply(domain_, {.starttls = can_starttls(), .auth = !can_starttls()},
                            offered);
}

void SmtpSession::dispatch(std::string_view line) {
    auto parsed = smtp::parse_command(line);
    if (auto* error = std::get_if<smtp::CommandError>(&parsed)) {
        reply(error->reply());
        return;
    }
    auto& command = std::get<smtp::Command>(parsed);
    if (spdlog::should_log(spdlog::level::trace))
        spdlog::trace("smtp {} C: {}", client_->peer_address(), protocol::printable(command.name));
    switch (command.kind) {
        case CommandKind::Ehlo:
            if (upstream_offer_ == UpstreamOffer::unknown) {
                waiting_for_upstream_ = true;  // answered when the upstream is ready or failed
                update_reading();
                return;
            }
            reply(ehlo_answer());
            return;
        case CommandKind::Helo:
            reply(smtp::reply(250, "", domain_));
            return;
        case CommandKind::StartTls:
            if (local_tls_active_) {
                reply(smtp::reply(503, "5.5.1", "TLS is already active"));
                return;
            }
            if (!can_starttls()) {
                reply(smtp::reply(502, "5.5.1", "STARTTLS is not offered on this listener"));
                return;
            }
            start_local_tls();
            return;
        case CommandKind::Auth:
            if (can_starttls()) {
                reply(smtp::reply(530, "5.7.0", "Must issue a STARTTLS command first"));
                return;
            }
            on_auth_command(std::get<smtp::AuthArguments>(command.arguments));
            return;
        case CommandKind::Mail:
        case CommandKind::Rcpt:
        case CommandKind::Data:
        case CommandKind::Bdat:
            reply(smtp::reply(530, "5.7.0",
                              "Authentication required; log in with AUTH PLAIN or AUTH LOGIN"));
            return;
        case CommandKind::Rset:
        case CommandKind::Noop:
            reply(smtp::reply(250, "2.0.0", "OK"));
            return;
        case CommandKind::Quit:
            close_client(smtp::reply(221, "2.0.0", "mailbridge closing connection"));
            return;
        case CommandKind::Vrfy:
            reply(smtp::reply(252, "2.5.0",
                              "mailbridge cannot verify addresses; send the message after AUTH"));
            return;
        case CommandKind::Expn:
            reply(smtp::reply(502, "5.5.1", "EXPN is not offered"));
            return;
        case CommandKind::Help:
            reply(smtp::reply(214, "2.0.0",
                              "mailbridge: EHLO, AUTH PLAIN or AUTH LOGIN, then MAIL, RCPT, DATA; "
                              "also RSET NOOP VRFY HELP QUIT" +
                                  std::string(can_starttls() ? " STARTTLS" : "")));
            return;
        case CommandKind::Other:
            reply(smtp::reply(502, "5.5.1", command.name + " is not implemented"));
            return;
    }
}

void SmtpSession::on_auth_command(const smtp::AuthArguments& args) {
    if (args.mechanism == "PLAIN") {
        if (!args.initial_response) {
            state_ = State::auth_plain;
            reply(smtp::auth_challenge_reply(""));
            return;
        }
        on_plain_response(args.initial_response->reveal().empty()
                              ? std::string_view("=")
                              : std::string_view(args.initial_response->reveal()));
        return;
    }
    if (args.mechanism == "LOGIN") {
        if (!args.initial_response) {
            state_ = State::auth_login_user;
            reply(smtp::auth_challenge_reply(protocol::sasl::kLoginUserPrompt));
            return;
        }
        on_login_user(args.initial_response->reveal());
        return;
    }
    reply(smtp::reply(504, "5.5.4",
                      "mailbridge accepts AUTH PLAIN and AUTH LOGIN only, not " + args.mechanism));
}

void SmtpSession::on_plain_response(std::string_view line) {
    state_ = State::command;
    auto answer = smtp::parse_sasl_answer(line);
    if (answer.cancelled) {
        reply(smtp::reply(501, "5.0.0", "AUTH cancelled"));
        return;
    }
    const std::string& data = answer.data.reveal();
    auto credentials = protocol::sasl::decode_plain(data == "=" ? "" : data);
    if (!credentials) {
        reply(smtp::reply(501, "5.5.2",
                          "invalid AUTH PLAIN response: " + credentials.error().message));
        return;
    }
    begin_login(std::move(credentials->authcid), std::move(credentials->password));
}

void SmtpSession::on_login_user(std::string_view line) {
    state_ = State::command;
    auto answer = smtp::parse_sasl_answer(line);
    if (answer.cancelled) {
        reply(smtp::reply(501, "5.0.0", "AUTH cancelled"));
        return;
    }
    auto user = protocol::sasl::decode_login_user(answer.data.reveal());
    if (!user) {
        reply(smtp::reply(501, "5.5.2", "invalid AUTH LOGIN user name: " + user.error().message));
        return;
    }
    login_user_ = std::move(user.value());
    state_ = State::auth_login_password;
    reply(smtp::auth_challenge_reply(protocol::sasl::kLoginPasswordPrompt));
}

void SmtpSession::on_login_password(std::string_view line) {
    state_ = State::command;
    auto answer = smtp::parse_sasl_answer(line);
    std::string user = std::move(login_user_);
    login_user_.clear();
    if (answer.cancelled) {
        reply(smtp::reply(501, "5.0.0", "AUTH cancelled"));
        return;
    }
    auto password = protocol::sasl::decode_login_password(answer.data.reveal());
    if (!password) {
        reply(
            smtp::reply(501, "5.5.2", "invalid AUTH LOGIN password: " + password.error().message));
        return;
    }
    begin_login(std::move(user), std::move(password.value()));
}

void SmtpSession::begin_login(std::string user, Secret password) {
    state_ = State::logging_in;
    update_reading();
    login_.login(std::move(user), std::move(password),
                 [this](std::optional<LoginSuccess> success, const LoginFailure& failure) {
                     on_login(std::move(success), failure);
                 });
}

void SmtpSession::on_login(std::optional<LoginSuccess> success, const LoginFailure& failure) {
    if (success) {
        start_relay(std::move(*success));
        return;
    }
    if (failure.temporary)
        reply(smtp::reply(454, "4.7.0", failure.message));
    else
        reply(smtp::reply(535, "5.7.8", failure.message));
    if (failure.close_connection) {
        close_client(
            smtp::reply(421, "4.7.0", "mailbridge: too many failed logins on this connection"));
        return;
    }
    state_ = State::command;
    update_reading();
    process_input();
}

void SmtpSession::start_relay(LoginSuccess success) {
    if (success.account) account_ = success.account->name;
    preauth_timer_.close();
    resume_timer_.close();
    state_ = State::relaying;
    reading_ = false;
    client_->write(smtp::reply(235, "2.7.0", "Authentication successful"));

    net::ByteStream* client = client_.get();
    net::ByteStream* upstream = success.upstream.get();
    filter_ = std::make_shared<SmtpRelayFilter>(
        SmtpRelayFilter::Io{
            .write_client = [client](std::string_view bytes) { client->write(bytes); },
            .write_upstream = [upstream](std::string_view bytes) { upstream->write(bytes); },
            .client_queued_bytes = [client] { return client->queued_bytes(); },
            .abort_upstream =
                [upstream] {
                    upstream->abort({net::CloseCause::local, "the bridge dropped the connection"});
                },
        },
        SmtpRelayFilter::Options{.domain = domain_});
    std::shared_ptr<SmtpRelayTrace> trace;
    if (relay_trace_enabled()) {
        trace = std::make_shared<SmtpRelayTrace>(
            RelayTraceLog(services_->server->name, client_->peer_address()));
        trace->client_bytes(input_);
    }
    if (!input_.empty()) {  // commands pipelined after AUTH
        std::string out;
        filter_->from_client(input_, out);
        if (!out.empty()) upstream->write(std::move(out));
    }
    input_.clear();
    input_.shrink_to_fit();

    std::string server = services_->server->name;
    health::Metrics* metrics = services_->metrics;
    relay_ = std::make_unique<Relay>(
        std::move(client_), std::move(success.upstream),
        RelayOptions{.idle_timeout = services_->idle_timeout()},
        Relay::Handlers{
            .on_bytes =
                [metrics, server](Relay::Side from, std::size_t n) {
                    metrics->bytes(server,
                                   from == Relay::Side::client
                                       ? health::Direction::client_to_upstream
                                       : health::Direction::upstream_to_client,
                                   n);
                },
            .on_upstream_closed =
                [filter = filter_](const net::CloseReason&) {
                    return filter->goodbye_on_upstream_close();
                },
            .on_client_closed =
                [filter = filter_] {
                    return filter->at_command_boundary() ? std::string("QUIT\r\n") : std::string();
                },
            .on_idle = [] { return smtp::reply(421, "4.4.2", "mailbridge: idle timeout"); },
            .on_finished = [this] { finish(); },
        });
    auto [from_client, from_upstream] = SmtpRelayFilter::make(filter_);
    if (trace) {
        from_client = observed_filter(std::move(from_client), [trace](std::string_view bytes) {
            trace->client_bytes(bytes);
        });
        from_upstream = observed_filter(std::move(from_upstream), [trace](std::string_view bytes) {
            trace->upstream_bytes(bytes);
        });
    }
    relay_->set_filter(Relay::Side::client, std::move(from_client));
    relay_->set_filter(Relay::Side::upstream, std::move(from_upstream));
    relay_->start(success.leftover);
}

void SmtpSession::start_local_tls() {
    auto channel = net::TlsChannel::server(*services_->local_tls);
    if (!channel) {
        reply(smtp::reply(454, "4.7.0", "cannot start TLS: " + channel.error().message));
        return;
    }
    reply(smtp::reply(220, "2.0.0", "Ready to start TLS"));
    input_.clear();  // nothing sent before the handshake may count (command injection)
    framer_ = protocol::LineFramer({.max_line = smtp::limits::kMaxAuthLine,
                                    .bare_lf = protocol::LineFramer::BareLf::Rejected});
    state_ = State::tls_handshake;
    update_reading();
    client_->set_handlers({});
    auto tls = std::make_unique<net::TlsStream>(std::move(client_), std::move(channel.value()));
    tls->set_handshake_handler([this] {
        local_tls_active_ = true;
        state_ = State::command;
        update_reading();
    });
    tls->set_handlers({
        .on_data = [this](std::string_view bytes) { on_client_data(bytes); },
        .on_drained =
            [this] {
                if (!backlog_paused_) return;
                backlog_paused_ = false;
                update_reading();
                process_input();
            },
        .on_closed = [this](const net::CloseReason&) { finish(); },
    });
    tls->set_low_water_mark(kBacklogResume);
    client_ = std::move(tls);
    client_->start_reading();  // the handshake needs the transport read
    reading_ = true;           // no data arrives before the handshake handler has run
}

void SmtpSession::close_client(std::string goodbye) {
    if (state_ == State::closing) return;
    state_ = State::closing;
    login_.cancel();
    preauth_timer_.close();
    resume_timer_.close();
    if (relay_) {
        relay_->shut_down(std::move(goodbye));
        return;
    }
    if (!goodbye.empty()) client_->write(std::move(goodbye));
    client_->close();
}

void SmtpSession::shut_down(std::string_view reason) {
    close_client(smtp::reply(421, "4.3.2", "mailbridge: " + std::string(reason)));
}

void SmtpSession::finish() {
    if (finished_) return;
    finished_ = true;
    login_.cancel();
    preauth_timer_.close();
    resume_timer_.close();
    services_->metrics->session_closed(services_->server->name);
    host_.session_finished(this);
}

}  // namespace mb::session
