// The POP3 session's AUTHORIZATION-state dialogue and its hand-over to the relay.
#include "bridge/session/pop3_session.h"

#include "bridge/session/pop3_relay_filters.h"
#include "bridge/session/pop3_relay_trace.h"
#include "bridge/session/pop3_upstream.h"
#include "bridge/session/upstream_settings.h"
#include "protocol/pop3/command_parser.h"
#include "protocol/pop3/limits.h"
#include "protocol/pop3/response_builder.h"
#include "protocol/sasl/plain.h"

namespace mb::session {
namespace pop3 = protocol::pop3;
using pop3::ResponseCode;

namespace {

std::unique_ptr<UpstreamClient> make_pop3_upstream(const SessionServices& services,
                                                   const config::AccountSettings* account) {
    return std::make_unique<Pop3Upstream>(
        services.loop, upstream_settings(services),
        account ? account->sasl : config::SaslMechanism::auto_select);
}

std::string stls_required(std::string_view command) {
    return pop3::err_response(
        ResponseCode::Auth,
        std::string(command) + " is disabled before TLS on this listener; issue STLS first");
}

}  // namespace

Pop3Session::Pop3Session(std::shared_ptr<const SessionServices> services,
                         std::unique_ptr<net::ByteStream> client, SessionHost& host)
    : ClientSession(services, std::move(client), host,
                    [services](const config::AccountSettings* account) {
                        return make_pop3_upstream(*services, account);
                    }),
      lines_({.max_line = pop3::limits::kMaxAuthLine,
              .bare_lf = protocol::LineFramer::BareLf::Terminates}) {}

std::string Pop3Session::greeting() {
    return pop3::ok_response("mailbridge ready");
}

std::string Pop3Session::goodbye(std::string_view reason) {
    return pop3::err_response(ResponseCode::SysTemp, "mailbridge: " + std::string(reason));
}

void Pop3Session::on_client_data(std::string_view bytes) {
    if (input_.size() + bytes.size() > 4 * pop3::limits::kMaxAuthLine) {
        close_client(goodbye("too much input before login"));
        return;
    }
    input_.append(bytes);
    process_input();
}

void Pop3Session::process_input() {
    while (!closing() && !input_.empty() &&
           (state_ == State::authorization || state_ == State::sasl_response)) {
        auto outcome = lines_.next(input_);
        switch (outcome.status) {
            case protocol::LineFramer::Status::NeedMore:
                input_.clear();
                return;
            case protocol::LineFramer::Status::LineTooLong:
            case protocol::LineFramer::Status::BareLineFeed:
                input_.erase(0, outcome.consumed);
                reply(pop3::line_too_long_error().response());
                continue;
            case protocol::LineFramer::Status::Line:
                break;
        }
        std::string line(outcome.line);
        input_.erase(0, outcome.consumed);
        if (state_ == State::sasl_response)
            on_sasl_response(line);
        else
            dispatch(line);
    }
}

void Pop3Session::dispatch(std::string_view line) {
    auto parsed = pop3::parse_command(line);
    if (auto* error = std::get_if<pop3::CommandError>(&parsed)) {
        reply(error->response());
        return;
    }
    auto& command = std::get<pop3::Command>(parsed);
    // On a STARTTLS listener, until TLS is up, no credentials are taken (USER, PASS, AUTH).
    const bool login_needs_tls = can_start_tls();
    switch (command.kind) {
        case pop3::CommandKind::Capa:
            reply(pop3::capa_response(
                pop3::pre_auth_capabilities({.stls = login_needs_tls, .login = !login_needs_tls})));
            return;
        case pop3::CommandKind::Noop:
            reply(pop3::ok_response(""));
            return;
        case pop3::CommandKind::Quit:
            close_client(pop3::ok_response("mailbridge signing off"));
            return;
        case pop3::CommandKind::Stls:
            if (!can_start_tls()) {
                reply(pop3::err_response(ResponseCode::None, "STLS is not offered here"));
                return;
            }
            input_.clear();  // nothing sent before the handshake may count (command injection)
            state_ = State::busy;
            start_local_tls(pop3::ok_response("Begin TLS negotiation now"),
                            [this] { state_ = State::authorization; });
            return;
        case pop3::CommandKind::User:
            if (login_needs_tls) {
                reply(stls_required("USER"));
                return;
            }
            user_ = std::get<std::string>(command.arguments);
            reply(pop3::ok_response("send PASS"));
            return;
        case pop3::CommandKind::Pass: {
            if (login_needs_tls) {
                reply(stls_required("PASS"));
                return;
            }
            if (!user_) {
                reply(pop3::err_response(ResponseCode::None, "send USER first"));
                return;
            }
            std::string user = std::move(*user_);
            user_.reset();
            begin_login(std::move(user), std::move(std::get<Secret>(command.arguments)));
            return;
        }
        case pop3::CommandKind::Auth: {
            if (login_needs_tls) {
                reply(stls_required("AUTH"));
                return;
            }
            auto& args = std::get<pop3::AuthArguments>(command.arguments);
            if (args.mechanism.empty()) {
                reply(pop3::auth_mechanisms_response());
                return;
            }
            if (args.mechanism != "PLAIN") {
                reply(pop3::err_response(ResponseCode::None,
                                         "mailbridge accepts AUTH PLAIN (or USER/PASS) only"));
                return;
            }
            if (!args.initial_response) {
                state_ = State::sasl_response;
                reply(pop3::sasl_continuation(""));
                return;
            }
            on_sasl_response(args.initial_response->reveal());
            return;
        }
        case pop3::CommandKind::Other:
            reply(pop3::err_response(ResponseCode::None,
                                     command.name + " is not allowed before login; log in with "
                                                    "USER/PASS or AUTH PLAIN first"));
            return;
    }
}

void Pop3Session::on_sasl_response(std::string_view line) {
    state_ = State::authorization;
    auto answer = pop3::parse_sasl_answer(line);
    if (answer.cancelled) {
        reply(pop3::err_response(ResponseCode::None, "AUTH cancelled"));
        return;
    }
    auto credentials = protocol::sasl::decode_plain(answer.data.reveal());
    if (!credentials) {
        reply(pop3::err_response(ResponseCode::None,
                                 "invalid AUTH PLAIN response: " + credentials.error().message));
        return;
    }
    begin_login(std::move(credentials->authcid), std::move(credentials->password));
}

void Pop3Session::begin_login(std::string user, Secret password) {
    state_ = State::busy;
    pause_reading();
    run_login(std::move(user), std::move(password),
              [this](std::optional<LoginSuccess> success, const LoginFailure& failure) {
                  on_login(std::move(success), failure);
              });
}

void Pop3Session::on_login(std::optional<LoginSuccess> success, const LoginFailure& failure) {
    if (!success) {
        reply(pop3::err_response(failure.temporary ? ResponseCode::SysTemp : ResponseCode::Auth,
                                 failure.message));
        if (failure.close_connection) {
            close_client(std::string());  // the -ERR said it; POP3 has no unsolicited goodbye
            return;
        }
        state_ = State::authorization;
        resume_reading();
        process_input();
        return;
    }
    state_ = State::relaying;
    std::string pipelined = std::move(input_);
    input_ = std::string();
    auto filters = std::make_shared<Pop3RelayFilters>();
    auto [from_client, from_upstream] = Pop3RelayFilters::make(filters);
    RelaySetup setup;
    setup.client_filter = std::move(from_client);
    setup.upstream_filter = std::move(from_upstream);
    if (relay_trace_enabled()) {
        auto trace =
            std::make_shared<Pop3RelayTrace>(RelayTraceLog(services().server->name, peer()));
        trace->client_bytes(pipelined);
        setup.client_filter =
            observed_filter(std::move(setup.client_filter),
                            [trace](std::string_view bytes) { trace->client_bytes(bytes); });
        setup.upstream_filter =
            observed_filter(std::move(setup.upstream_filter),
                            [trace](std::string_view bytes) { trace->upstream_bytes(bytes); });
    }
    setup.on_upstream_closed = [this, filters](const net::CloseReason& reason) {
        if (filters->client_quit()) return std::string();
        return goodbye("the upstream server closed the connection" +
                       (reason.message.empty() ? std::string() : " (" + reason.message + ")"));
    };
    // The client's pipelined commands go upstream through the filter's tracking too.
    std::string to_upstream;
    if (!pipelined.empty()) filters->from_client(pipelined, to_upstream);
    // Taken out first: the order in which call arguments are evaluated is unspecified (clang
    // moved *success before this was read, and the client never got its +OK).
    std::string answer = std::move(success->final_answer);
    start_relay(std::move(*success), std::move(answer), to_upstream, std::move(setup));
}

}  // namespace mb::session
