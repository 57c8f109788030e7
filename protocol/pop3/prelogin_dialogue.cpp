// The POP3 pre-login dialogue's decisions: see prelogin_dialogue.h.
#include "protocol/pop3/prelogin_dialogue.h"

#include <utility>
#include <variant>

#include "protocol/pop3/command_parser.h"
#include "protocol/pop3/response_builder.h"
#include "protocol/sasl/plain.h"

namespace mb::protocol::pop3 {

namespace {

std::string stls_required(std::string_view command) {
    return err_response(
        ResponseCode::Auth,
        std::string(command) + " is disabled before TLS on this listener; issue STLS first");
}

std::string unavailable(std::string_view reason) {
    return err_response(ResponseCode::SysTemp, "mailbridge: " + std::string(reason));
}

}  // namespace

Pop3PreLoginDialogue::Pop3PreLoginDialogue(Options options)
    : options_(options), framer_(make_framer()) {}

LineFramer Pop3PreLoginDialogue::make_framer() {
    return LineFramer(
        {.max_line = limits::kMaxAuthLine, .bare_lf = LineFramer::BareLf::Terminates});
}

std::string Pop3PreLoginDialogue::greeting() const {
    return ok_response("mailbridge ready");
}

bool Pop3PreLoginDialogue::wants_input() const {
    return state_ == State::authorization || state_ == State::sasl_response ||
           state_ == State::tls_handshake;  // the handshake needs reading
}

void Pop3PreLoginDialogue::close(std::string goodbye) {
    state_ = State::done;
    input_.clear();
    push(PreLoginAction::Kind::close, std::move(goodbye));
}

void Pop3PreLoginDialogue::feed(std::string_view bytes) {
    if (state_ == State::done || state_ == State::tls_handshake) return;
    if (input_.size() + bytes.size() > options_.max_input) {
        close(unavailable("too much input before login"));
        return;
    }
    input_.append(bytes);
    process();
}

void Pop3PreLoginDialogue::process() {
    while (!input_.empty() && (state_ == State::authorization || state_ == State::sasl_response)) {
        auto outcome = framer_.next(input_);
        switch (outcome.status) {
            case LineFramer::Status::NeedMore:
                input_.clear();  // the framer keeps the partial line
                return;
            case LineFramer::Status::LineTooLong:
            case LineFramer::Status::BareLineFeed:
                input_.erase(0, outcome.consumed);
                reply(line_too_long_error().response());
                continue;
            case LineFramer::Status::Line:
                break;
        }
        std::string line(outcome.line);  // copy before erasing: it may point into input_
        input_.erase(0, outcome.consumed);
        if (state_ == State::sasl_response)
            on_sasl_response(line);
        else
            dispatch(line);
    }
}

void Pop3PreLoginDialogue::dispatch(std::string_view line) {
    auto parsed = parse_command(line);
    if (auto* error = std::get_if<CommandError>(&parsed)) {
        reply(error->response());
        return;
    }
    auto& command = std::get<Command>(parsed);
    push(PreLoginAction::Kind::command, command.name);
    // On a STARTTLS listener, until TLS is up, no credentials are taken (USER, PASS, AUTH).
    const bool login_needs_tls = can_starttls();
    switch (command.kind) {
        case CommandKind::Capa:
            reply(capa_response(
                pre_auth_capabilities({.stls = login_needs_tls, .login = !login_needs_tls})));
            return;
        case CommandKind::Noop:
            reply(ok_response(""));
            return;
        case CommandKind::Quit:
            close(ok_response("mailbridge signing off"));
            return;
        case CommandKind::Stls:
            if (!can_starttls()) {
                reply(err_response(ResponseCode::None, "STLS is not offered here"));
                return;
            }
            // Nothing sent before the handshake may count (command injection).
            input_.clear();
            framer_ = make_framer();
            state_ = State::tls_handshake;
            push(PreLoginAction::Kind::start_tls, ok_response("Begin TLS negotiation now"));
            return;
        case CommandKind::User:
            if (login_needs_tls) {
                reply(stls_required("USER"));
                return;
            }
            user_ = std::get<std::string>(command.arguments);
            reply(ok_response("send PASS"));
            return;
        case CommandKind::Pass: {
            if (login_needs_tls) {
                reply(stls_required("PASS"));
                return;
            }
            if (!user_) {
                reply(err_response(ResponseCode::None, "send USER first"));
                return;
            }
            std::string user = std::move(*user_);
            user_.reset();
            begin_login(std::move(user), std::move(std::get<Secret>(command.arguments)));
            return;
        }
        case CommandKind::Auth: {
            if (login_needs_tls) {
                reply(stls_required("AUTH"));
                return;
            }
            auto& args = std::get<AuthArguments>(command.arguments);
            if (args.mechanism.empty()) {
                reply(auth_mechanisms_response());
                return;
            }
            if (args.mechanism != "PLAIN") {
                reply(err_response(ResponseCode::None,
                                   "mailbridge accepts AUTH PLAIN (or USER/PASS) only"));
                return;
            }
            if (!args.initial_response) {
                state_ = State::sasl_response;
                reply(sasl_continuation(""));
                return;
            }
            on_sasl_response(args.initial_response->reveal());
            return;
        }
        case CommandKind::Other:
            reply(err_response(ResponseCode::None, command.name +
                                                       " is not allowed before login; log in with "
                                                       "USER/PASS or AUTH PLAIN first"));
            return;
    }
}

void Pop3PreLoginDialogue::on_sasl_response(std::string_view line) {
    state_ = State::authorization;
    auto answer = parse_sasl_answer(line);
    if (answer.cancelled) {
        reply(err_response(ResponseCode::None, "AUTH cancelled"));
        return;
    }
    auto credentials = sasl::decode_plain(answer.data.reveal());
    if (!credentials) {
        reply(err_response(ResponseCode::None,
                           "invalid AUTH PLAIN response: " + credentials.error().message));
        return;
    }
    begin_login(std::move(credentials->authcid), std::move(credentials->password));
}

void Pop3PreLoginDialogue::begin_login(std::string user, Secret password) {
    state_ = State::logging_in;
    push_login(std::move(user), std::move(password));
}

void Pop3PreLoginDialogue::tls_started() {
    if (state_ != State::tls_handshake) return;
    tls_active_ = true;
    state_ = State::authorization;
}

void Pop3PreLoginDialogue::tls_unavailable(std::string_view reason) {
    if (state_ != State::tls_handshake) return;
    close(unavailable("cannot start TLS: " + std::string(reason)));
}

void Pop3PreLoginDialogue::login_refused(const LoginRefusal& refusal) {
    if (state_ != State::logging_in) return;
    reply(err_response(refusal.temporary ? ResponseCode::SysTemp : ResponseCode::Auth,
                       refusal.message));
    if (refusal.close_connection) {
        close(std::string());  // the -ERR said it; POP3 has no unsolicited goodbye
        return;
    }
    state_ = State::authorization;
    process();
}

std::string Pop3PreLoginDialogue::logged_in(std::string_view upstream_answer) {
    state_ = State::done;
    return std::string(upstream_answer);
}

std::string Pop3PreLoginDialogue::take_pipelined() {
    state_ = State::done;
    std::string rest = std::move(input_);
    input_.clear();
    return rest;
}

}  // namespace mb::protocol::pop3
