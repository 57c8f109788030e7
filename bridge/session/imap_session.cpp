// The IMAP session's pre-login dialogue, login sequence (local password → token → upstream
// AUTHENTICATE, one token retry) and hand-over to the Relay.
#include "bridge/session/imap_session.h"

#include <spdlog/spdlog.h>

#include "bridge/log/log.h"
#include "bridge/net/tls_stream.h"
#include "bridge/session/imap_response_filter.h"
#include "bridge/session/imap_upstream.h"
#include "protocol/imap/capabilities.h"
#include "protocol/imap/response_builder.h"
#include "protocol/limits.h"
#include "protocol/sasl/plain.h"

namespace mb::session {
namespace imap = protocol::imap;
using health::LoginResult;
using imap::ResponseStatus;

namespace {

constexpr std::string_view kGreetingText = "mailbridge ready";

std::string first_word(std::string_view text) {
    size_t end = text.find_first_of(" \r\n");
    return std::string(text.substr(0, end));
}

}  // namespace

ImapSession::ImapSession(std::shared_ptr<const SessionServices> services,
                         std::unique_ptr<net::ByteStream> client, SessionHost& host)
    : services_(std::move(services)),
      client_(std::move(client)),
      host_(host),
      framer_({.direction = imap::StreamFramer::Direction::ClientToServer,
               .max_line = protocol::limits::kMaxLineLength,
               .max_literal = protocol::limits::kMaxPreAuthLiteral}),
      login_(services_, client_->peer_address(),
             [services = services_](const config::AccountSettings* account) {
                 const auto& server = *services->server;
                 UpstreamConversation::Settings settings;
                 settings.target.host = server.upstream.host;
                 settings.target.port = server.upstream.port;
                 settings.target.tls = services->upstream_tls.get();
                 settings.starttls = server.upstream_tls == config::UpstreamTls::starttls;
                 settings.timeout = services->connect_timeout();
                 return std::unique_ptr<UpstreamClient>(std::make_unique<ImapUpstream>(
                     services->loop, settings,
                     account ? account->sasl : config::SaslMechanism::auto_select));
             }) {}

ImapSession::~ImapSession() {
    *alive_ = false;
    if (client_) client_->set_handlers({});
}

void ImapSession::start() {
    services_->metrics->session_opened(services_->server->name);
    client_->set_handlers({
        .on_data = [this](std::string_view bytes) { on_client_data(bytes); },
        .on_drained = {},
        .on_closed = [this](const net::CloseReason&) { finish(); },
    });
    bool offer_starttls =
        services_->local_tls && services_->server->local_tls == config::LocalTls::starttls;
    reply(imap::greeting_response(imap::pre_auth_capabilities(offer_starttls), kGreetingText));
    client_->start_reading();
    arm_preauth_timer();
    login_.prepare();  // overlap the upstream handshakes with the client's greeting and LOGIN
}

void ImapSession::arm_preauth_timer() {
    if (!preauth_timer_.is_open()) {
        preauth_timer_.open([this](uv_timer_t* t) { return uv_timer_init(services_->loop, t); });
        preauth_timer_.get()->data = this;
    }
    uv_timer_start(
        preauth_timer_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<ImapSession*>(t->data);
            if (self && self->state_ != State::relaying)
                self->close_client(imap::bye_response("mailbridge: idle too long before login"));
        },
        static_cast<uint64_t>(services_->idle_timeout().count()) * 1000, 0);
}

void ImapSession::reply(std::string bytes) {
    if (spdlog::should_log(spdlog::level::trace))
        spdlog::trace("imap {} S: {}", client_->peer_address(),
                      std::string_view(bytes).substr(0, bytes.size() - 2));
    client_->write(std::move(bytes));
}

void ImapSession::on_client_data(std::string_view bytes) {
    if (state_ == State::closing) return;
    if (input_.size() + bytes.size() > 2 * protocol::limits::kMaxPreAuthCommand) {
        close_client(imap::bye_response("mailbridge: too much input before login"));
        return;
    }
    input_.append(bytes);
    process_input();
}

void ImapSession::process_input() {
    auto alive = alive_;
    while (*alive && !input_.empty() &&
           (state_ == State::not_authenticated || state_ == State::sasl_response)) {
        auto event = framer_.next(input_);
        std::string_view bytes = event.bytes;
        switch (event.kind) {
            case imap::StreamEvent::Kind::NeedMore:
                input_.clear();
                return;
            case imap::StreamEvent::Kind::Error: {
                std::string tag = first_word(command_.empty() ? std::string(bytes) : command_);
                command_.clear();
                if (event.stream_usable && !tag.empty() && tag != "*" && tag != "+") {
                    input_.erase(0, event.consumed);
                    reply(imap::tagged_response(tag, ResponseStatus::Bad, "", event.error));
                    continue;
                }
                close_client(imap::bye_response("mailbridge: " + event.error));
                return;
            }
            case imap::StreamEvent::Kind::LineSegment:
            case imap::StreamEvent::Kind::LiteralBody:
                break;
        }
        // Copy before erasing: `bytes` may point into input_.
        if (command_.size() + bytes.size() > protocol::limits::kMaxPreAuthCommand) {
            close_client(imap::bye_response("mailbridge: command too long before login"));
            return;
        }
        command_.append(bytes);
        input_.erase(0, event.consumed);
        if (event.kind == imap::StreamEvent::Kind::LineSegment && event.literal &&
            !event.literal->non_sync && state_ == State::not_authenticated)
            reply(imap::continuation_response("Ready for literal data"));
        bool complete = event.kind == imap::StreamEvent::Kind::LineSegment && event.ends_unit;
        if (!complete) continue;
        std::string command = std::move(command_);
        command_.clear();
        if (state_ == State::sasl_response)
            on_sasl_response(command);
        else
            dispatch(command);
    }
}

void ImapSession::dispatch(std::string_view text) {
    auto parsed = imap::parse_command(text);
    if (auto* error = std::get_if<imap::CommandError>(&parsed)) {
        if (error->tag.empty())
            reply(imap::untagged_response(ResponseStatus::Bad, "", error->reason));
        else
            reply(imap::tagged_response(error->tag, ResponseStatus::Bad, "", error->reason));
        return;
    }
    auto& command = std::get<imap::Command>(parsed);
    if (spdlog::should_log(spdlog::level::trace))
        spdlog::trace("imap {} C: {} {}", client_->peer_address(), command.tag, command.name);
    bool can_starttls = services_->local_tls &&
                        services_->server->local_tls == config::LocalTls::starttls &&
                        !local_tls_active_;
    switch (command.kind) {
        case imap::CommandKind::Capability:
            reply(imap::capability_response(imap::pre_auth_capabilities(can_starttls)));
            reply(
                imap::tagged_response(command.tag, ResponseStatus::Ok, "", "CAPABILITY completed"));
            return;
        case imap::CommandKind::Noop:
            reply(imap::tagged_response(command.tag, ResponseStatus::Ok, "", "NOOP completed"));
            return;
        case imap::CommandKind::Logout:
            reply(imap::bye_response("mailbridge: logging out"));
            close_client(
                imap::tagged_response(command.tag, ResponseStatus::Ok, "", "LOGOUT completed"));
            return;
        case imap::CommandKind::Id:
            reply(imap::id_response({{"name", "mailbridge"}}));
            reply(imap::tagged_response(command.tag, ResponseStatus::Ok, "", "ID completed"));
            return;
        case imap::CommandKind::StartTls:
            if (!can_starttls) {
                reply(imap::tagged_response(command.tag, ResponseStatus::Bad, "",
                                            "STARTTLS is not offered on this listener"));
                return;
            }
            start_local_tls(command.tag);
            return;
        case imap::CommandKind::Login: {
            auto& args = std::get<imap::LoginArguments>(command.arguments);
            begin_login(command.tag, std::move(args.user), std::move(args.password));
            return;
        }
        case imap::CommandKind::Authenticate: {
            auto& args = std::get<imap::AuthenticateArguments>(command.arguments);
            if (args.mechanism != "PLAIN") {
                reply(imap::tagged_response(command.tag, ResponseStatus::No, "",
                                            "mailbridge accepts AUTHENTICATE PLAIN only"));
                return;
            }
            if (!args.initial_response) {
                sasl_tag_ = command.tag;
                state_ = State::sasl_response;
                reply(imap::continuation_response(""));
                return;
            }
            sasl_tag_ = command.tag;
            on_sasl_response(args.initial_response->reveal());
            return;
        }
        case imap::CommandKind::Other:
            reply(imap::tagged_response(command.tag, ResponseStatus::Bad, "",
                                        command.name + " is not allowed before login; log in "
                                                       "with LOGIN or AUTHENTICATE PLAIN first"));
            return;
    }
}

void ImapSession::on_sasl_response(std::string_view line) {
    state_ = State::not_authenticated;
    std::string_view response = line;
    while (!response.empty() && (response.back() == '\n' || response.back() == '\r'))
        response.remove_suffix(1);
    if (response == "*") {
        reply(imap::tagged_response(sasl_tag_, ResponseStatus::Bad, "", "AUTHENTICATE cancelled"));
        return;
    }
    auto credentials = protocol::sasl::decode_plain(response == "=" ? "" : response);
    if (!credentials) {
        reply(imap::tagged_response(
            sasl_tag_, ResponseStatus::Bad, "",
            "invalid AUTHENTICATE PLAIN response: " + credentials.error().message));
        return;
    }
    begin_login(sasl_tag_, std::move(credentials->authcid), std::move(credentials->password));
}

void ImapSession::begin_login(std::string tag, std::string user, Secret password) {
    login_tag_ = std::move(tag);
    state_ = State::logging_in;
    client_->stop_reading();
    reading_paused_ = true;
    login_.login(std::move(user), std::move(password),
                 [this](std::optional<LoginSuccess> success, const LoginFailure& failure) {
                     on_login(std::move(success), failure);
                 });
}

void ImapSession::on_login(std::optional<LoginSuccess> success, const LoginFailure& failure) {
    if (success) {
        start_relay(std::move(*success));
        return;
    }
    std::string code = failure.upstream_code;
    if (code.empty()) code = failure.temporary ? "UNAVAILABLE" : "AUTHENTICATIONFAILED";
    reply(imap::tagged_response(login_tag_, ResponseStatus::No, code, failure.message));
    state_ = State::not_authenticated;
    if (reading_paused_) {
        reading_paused_ = false;
        client_->start_reading();
    }
    process_input();
}

void ImapSession::start_relay(LoginSuccess success) {
    // Re-tag the upstream's OK for the client and rewrite its capability list.
    const std::string& ok_line = success.final_answer;
    std::string line = login_tag_ + ok_line.substr(ok_line.find(' '));
    if (auto rewritten = imap::rewrite_capability_response(line)) line = std::move(*rewritten);
    preauth_timer_.close();
    state_ = State::relaying;
    client_->write(std::move(line));

    auto upstream_stream = std::move(success.upstream);
    if (!input_.empty()) upstream_stream->write(std::string_view(input_));  // pipelined commands
    input_.clear();
    input_.shrink_to_fit();
    command_.clear();
    command_.shrink_to_fit();
    std::string server = services_->server->name;
    health::Metrics* metrics = services_->metrics;
    relay_ = std::make_unique<Relay>(
        std::move(client_), std::move(upstream_stream),
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
                [this](const net::CloseReason& reason) {
                    if (upstream_said_bye_) return std::string();
                    return imap::bye_response(
                        "mailbridge: the upstream server closed the connection" +
                        (reason.message.empty() ? std::string() : " (" + reason.message + ")"));
                },
            .on_idle = [] { return imap::bye_response("mailbridge: idle timeout"); },
            .on_finished = [this] { finish(); },
        });
    relay_->set_filter(Relay::Side::upstream,
                       ImapResponseFilter::make([this] { upstream_said_bye_ = true; }));
    relay_->start(success.leftover);
}

void ImapSession::start_local_tls(const std::string& tag) {
    auto channel = net::TlsChannel::server(*services_->local_tls);
    if (!channel) {
        reply(imap::tagged_response(tag, ResponseStatus::No, "",
                                    "cannot start TLS: " + channel.error().message));
        return;
    }
    reply(imap::tagged_response(tag, ResponseStatus::Ok, "", "Begin TLS negotiation now"));
    input_.clear();  // nothing sent before the handshake may count (command injection)
    command_.clear();
    state_ = State::tls_handshake;
    client_->stop_reading();
    client_->set_handlers({});
    auto tls = std::make_unique<net::TlsStream>(std::move(client_), std::move(channel.value()));
    tls->set_handshake_handler([this] {
        local_tls_active_ = true;
        state_ = State::not_authenticated;
    });
    tls->set_handlers({
        .on_data = [this](std::string_view bytes) { on_client_data(bytes); },
        .on_drained = {},
        .on_closed = [this](const net::CloseReason&) { finish(); },
    });
    client_ = std::move(tls);
    client_->start_reading();
}

void ImapSession::close_client(std::string goodbye) {
    if (state_ == State::closing) return;
    state_ = State::closing;
    login_.cancel();
    preauth_timer_.close();
    if (relay_) {
        relay_->shut_down(std::move(goodbye));
        return;
    }
    if (!goodbye.empty()) client_->write(std::move(goodbye));
    client_->close();
}

void ImapSession::shut_down(std::string_view reason) {
    close_client(imap::bye_response("mailbridge: " + std::string(reason)));
}

void ImapSession::finish() {
    if (finished_) return;
    finished_ = true;
    login_.cancel();
    preauth_timer_.close();
    services_->metrics->session_closed(services_->server->name);
    host_.session_finished(this);
}

}  // namespace mb::session
