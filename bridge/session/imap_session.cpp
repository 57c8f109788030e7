// The IMAP session's pre-login dialogue and its hand-over to the relay.
#include "bridge/session/imap_session.h"

#include "protocol/imap/command_boundary.h"

#include <spdlog/spdlog.h>

#include "bridge/session/imap_cache_observer.h"
#include "bridge/session/imap_relay_trace.h"
#include "bridge/session/imap_response_filter.h"
#include "bridge/session/imap_upstream.h"
#include "bridge/session/upstream_settings.h"
#include "protocol/imap/capabilities.h"
#include "protocol/imap/command_parser.h"
#include "protocol/imap/response_builder.h"
#include "protocol/limits.h"
#include "protocol/printable_text.h"
#include "protocol/sasl/plain.h"
#include "store/cache_writer.h"

namespace mb::session {
namespace imap = protocol::imap;
using imap::ResponseStatus;

namespace {

std::string first_word(std::string_view text) {
    size_t end = text.find_first_of(" \r\n");
    return std::string(text.substr(0, end));
}

std::unique_ptr<UpstreamClient> make_imap_upstream(const SessionServices& services,
                                                   const config::AccountSettings* account) {
    return std::make_unique<ImapUpstream>(
        services.loop, upstream_settings(services),
        account ? account->sasl : config::SaslMechanism::auto_select);
}

// On a STARTTLS listener, until TLS is up: STARTTLS and LOGINDISABLED, no credentials taken.
imap::PreAuthOffer pre_auth_offer(bool can_start_tls) {
    return {.starttls = can_start_tls, .login = !can_start_tls};
}

std::string privacy_required(std::string_view tag, std::string_view command) {
    return imap::tagged_response(
        std::string(tag), ResponseStatus::No, "PRIVACYREQUIRED",
        std::string(command) + " is disabled before TLS on this listener; issue STARTTLS first");
}

}  // namespace

ImapSession::ImapSession(std::shared_ptr<const SessionServices> services,
                         std::unique_ptr<net::ByteStream> client, SessionHost& host)
    : ClientSession(services, std::move(client), host,
                    [services](const config::AccountSettings* account) {
                        return make_imap_upstream(*services, account);
                    }),
      framer_({.direction = imap::StreamFramer::Direction::ClientToServer,
               .max_line = protocol::limits::kMaxLineLength,
               .max_literal = protocol::limits::kMaxPreAuthLiteral}) {}

std::string ImapSession::greeting() {
    return imap::greeting_response(imap::pre_auth_capabilities(pre_auth_offer(can_start_tls())),
                                   "mailbridge ready");
}

std::string ImapSession::goodbye(std::string_view reason) {
    return imap::bye_response("mailbridge: " + std::string(reason));
}

void ImapSession::on_client_data(std::string_view bytes) {
    if (input_.size() + bytes.size() > 2 * protocol::limits::kMaxPreAuthCommand) {
        close_client(goodbye("too much input before login"));
        return;
    }
    input_.append(bytes);
    process_input();
}

void ImapSession::process_input() {
    while (!closing() && !input_.empty() &&
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
                close_client(goodbye(event.error));
                return;
            }
            case imap::StreamEvent::Kind::LineSegment:
            case imap::StreamEvent::Kind::LiteralBody:
                break;
        }
        // Copy before erasing: `bytes` may point into input_.
        if (command_.size() + bytes.size() > protocol::limits::kMaxPreAuthCommand) {
            close_client(goodbye("command too long before login"));
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
        spdlog::trace("imap {} C: {} {}", peer(), protocol::printable(command.tag),
                      protocol::printable(command.name));
    bool can_starttls = can_start_tls();
    switch (command.kind) {
        case imap::CommandKind::Capability:
            reply(imap::capability_response(
                imap::pre_auth_capabilities(pre_auth_offer(can_starttls))));
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
            input_.clear();  // nothing sent before the handshake may count (command injection)
            command_.clear();
            state_ = State::busy;
            start_local_tls(imap::tagged_response(command.tag, ResponseStatus::Ok, "",
                                                  "Begin TLS negotiation now"),
                            [this] { state_ = State::not_authenticated; });
            return;
        case imap::CommandKind::Login: {
            if (can_starttls) {
                reply(privacy_required(command.tag, "LOGIN"));
                return;
            }
            auto& args = std::get<imap::LoginArguments>(command.arguments);
            begin_login(command.tag, std::move(args.user), std::move(args.password));
            return;
        }
        case imap::CommandKind::Authenticate: {
            if (can_starttls) {
                reply(privacy_required(command.tag, "AUTHENTICATE"));
                return;
            }
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
    state_ = State::busy;
    pause_reading();
    run_login(std::move(user), std::move(password),
              [this](std::optional<LoginSuccess> success, const LoginFailure& failure) {
                  on_login(std::move(success), failure);
              });
}

void ImapSession::on_login(std::optional<LoginSuccess> success, const LoginFailure& failure) {
    if (!success) {
        std::string code = failure.upstream_code;
        if (code.empty()) code = failure.temporary ? "UNAVAILABLE" : "AUTHENTICATIONFAILED";
        reply(imap::tagged_response(login_tag_, ResponseStatus::No, code, failure.message));
        if (failure.close_connection) {
            close_client(goodbye("too many failed logins on this connection"));
            return;
        }
        state_ = State::not_authenticated;
        resume_reading();
        process_input();
        return;
    }
    // Re-tag the upstream's OK for the client and rewrite its capability list.
    const std::string& ok_line = success->final_answer;
    std::string line = login_tag_ + ok_line.substr(ok_line.find(' '));
    if (auto rewritten = imap::rewrite_capability_response(line)) line = std::move(*rewritten);
    state_ = State::relaying;
    std::string pipelined = std::move(input_);
    input_ = std::string();
    command_ = std::string();
    RelaySetup setup;
    auto responses = std::make_shared<ImapResponseFilter>([this] { upstream_said_bye_ = true; });
    setup.upstream_filter = ImapResponseFilter::wrap(responses);
    if (store::CacheWriter* cache = services().cache; cache && success->account) {
        auto observer = std::make_shared<ImapCacheObserver>(
            store::Owner{success->account->name, success->login},
            [cache](store::CacheUpdate update) { return cache->try_submit(std::move(update)); },
            ImapCacheObserver::Options{}, [cache] { return cache->generation(); });
        observer->client_bytes(pipelined);
        setup.client_filter = ImapCacheObserver::client_filter(observer);
        responses->observe(
            [observer](const imap::StreamEvent& event) { observer->upstream_event(event); });
    }
    // Follow the client's commands just enough to LOGOUT upstream if it vanishes between two.
    auto boundary = std::make_shared<imap::CommandBoundary>();
    boundary->feed(pipelined);
    setup.client_filter = [boundary, inner = std::move(setup.client_filter)](std::string_view in,
                                                                             std::string& out) {
        boundary->feed(in);
        if (inner)
            inner(in, out);
        else
            out.append(in);
    };
    if (relay_trace_enabled()) {
        auto trace =
            std::make_shared<ImapRelayTrace>(RelayTraceLog(services().server->name, peer()));
        trace->client_bytes(pipelined);
        responses->observe(
            [trace](const imap::StreamEvent& event) { trace->upstream_event(event); });
        setup.client_filter =
            observed_filter(std::move(setup.client_filter),
                            [trace](std::string_view bytes) { trace->client_bytes(bytes); });
    }
    setup.on_client_closed = [this, boundary] {
        if (upstream_said_bye_ || !boundary->at_boundary()) return std::string();
        return std::string("mbye LOGOUT\r\n");
    };
    setup.on_upstream_closed = [this, responses](const net::CloseReason& reason) {
        // Cut inside a response (a partial line was held back, or inside a literal): any text
        // added now would become part of that response, so the client just sees the close.
        if (upstream_said_bye_ || !responses->client_at_boundary()) return std::string();
        return goodbye("the upstream server closed the connection" +
                       (reason.message.empty() ? std::string() : " (" + reason.message + ")"));
    };
    start_relay(std::move(*success), std::move(line), pipelined, std::move(setup));
}

}  // namespace mb::session
