// The SMTP pre-login dialogue's decisions: see prelogin_dialogue.h.
#include "protocol/smtp/prelogin_dialogue.h"

#include <utility>

#include "protocol/sasl/login.h"
#include "protocol/sasl/plain.h"
#include "protocol/smtp/reply_builder.h"

namespace mb::protocol::smtp {

SmtpPreLoginDialogue::SmtpPreLoginDialogue(Options options)
    : options_(std::move(options)), framer_(make_framer()) {}

LineFramer SmtpPreLoginDialogue::make_framer() {
    return LineFramer({.max_line = limits::kMaxAuthLine, .bare_lf = LineFramer::BareLf::Rejected});
}

std::string SmtpPreLoginDialogue::greeting() const {
    return greeting_reply(options_.domain, "ESMTP mailbridge");
}

bool SmtpPreLoginDialogue::processing() const {
    return !waiting_for_upstream_ &&
           (state_ == State::command || state_ == State::auth_plain ||
            state_ == State::auth_login_user || state_ == State::auth_login_password);
}

bool SmtpPreLoginDialogue::wants_input() const {
    return processing() || state_ == State::tls_handshake;  // the handshake needs reading
}

void SmtpPreLoginDialogue::close(std::string goodbye) {
    state_ = State::done;
    input_.clear();
    push(PreLoginAction::Kind::close, std::move(goodbye));
}

void SmtpPreLoginDialogue::feed(std::string_view bytes) {
    if (state_ == State::done || state_ == State::tls_handshake) return;
    if (input_.size() + bytes.size() > options_.max_input) {
        close(smtp::reply(421, "4.7.0",
                          "mailbridge: too much input before login; closing the connection"));
        return;
    }
    input_.append(bytes);
    process();
}

void SmtpPreLoginDialogue::process() {
    while (!input_.empty() && processing()) {
        auto outcome = framer_.next(input_);
        switch (outcome.status) {
            case LineFramer::Status::NeedMore:
                input_.clear();  // the framer keeps the partial line
                return;
            case LineFramer::Status::LineTooLong:
            case LineFramer::Status::BareLineFeed:
                input_.erase(0, outcome.consumed);
                state_ = State::command;  // an AUTH exchange ends
                reply(outcome.status == LineFramer::Status::LineTooLong
                          ? line_too_long_error().reply()
                          : bare_line_feed_error().reply());
                break;
            case LineFramer::Status::Line: {
                std::string line(outcome.line);  // copy before erasing: it may point into input_
                input_.erase(0, outcome.consumed);
                handle_line(line);
                break;
            }
        }
    }
}

void SmtpPreLoginDialogue::handle_line(std::string_view line) {
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

bool SmtpPreLoginDialogue::upstream_offer(const std::optional<EhloCapabilities>& caps) {
    if (caps) {
        upstream_capabilities_ = *caps;
        upstream_offer_ = UpstreamOffer::known;
    } else if (upstream_offer_ == UpstreamOffer::unknown) {
        upstream_offer_ = UpstreamOffer::unavailable;
    }
    return waiting_for_upstream_;
}

void SmtpPreLoginDialogue::resume() {
    if (!waiting_for_upstream_ || state_ == State::done) return;
    if (upstream_offer_ == UpstreamOffer::unknown) return;
    waiting_for_upstream_ = false;
    reply(ehlo_answer());
    process();
}

std::string SmtpPreLoginDialogue::ehlo_answer() const {
    EhloCapabilities offered = upstream_capabilities_;
    if (upstream_offer_ != UpstreamOffer::known) {
        // The upstream is unreachable, so no message can go anywhere yet; offer what the bridge
        // itself handles, and let AUTH report why the upstream is unavailable.
        offered = {};
        offered.pipelining = true;
        offered.enhanced_status_codes = true;
    }
    // On a STARTTLS listener, until TLS is up, AUTH is neither offered nor taken.
    return ehlo_reply(options_.domain, {.starttls = can_starttls(), .auth = !can_starttls()},
                      offered);
}

void SmtpPreLoginDialogue::dispatch(std::string_view line) {
    auto parsed = parse_command(line);
    if (auto* error = std::get_if<CommandError>(&parsed)) {
        reply(error->reply());
        return;
    }
    auto& command = std::get<Command>(parsed);
    push(PreLoginAction::Kind::command, command.name);
    switch (command.kind) {
        case CommandKind::Ehlo:
            if (upstream_offer_ == UpstreamOffer::unknown) {
                waiting_for_upstream_ = true;  // answered when the upstream is ready or failed
                return;
            }
            reply(ehlo_answer());
            return;
        case CommandKind::Helo:
            reply(smtp::reply(250, "", options_.domain));
            return;
        case CommandKind::StartTls:
            if (tls_active_) {
                reply(smtp::reply(503, "5.5.1", "TLS is already active"));
                return;
            }
            if (!can_starttls()) {
                reply(smtp::reply(502, "5.5.1", "STARTTLS is not offered on this listener"));
                return;
            }
            // Nothing sent before the handshake may count (command injection).
            input_.clear();
            framer_ = make_framer();
            state_ = State::tls_handshake;
            push(PreLoginAction::Kind::start_tls, smtp::reply(220, "2.0.0", "Ready to start TLS"));
            return;
        case CommandKind::Auth:
            if (can_starttls()) {
                reply(smtp::reply(530, "5.7.0", "Must issue a STARTTLS command first"));
                return;
            }
            on_auth_command(std::get<AuthArguments>(command.arguments));
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
            close(smtp::reply(221, "2.0.0", "mailbridge closing connection"));
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

void SmtpPreLoginDialogue::tls_started() {
    if (state_ != State::tls_handshake) return;
    tls_active_ = true;
    state_ = State::command;
}

void SmtpPreLoginDialogue::tls_unavailable(std::string_view reason) {
    if (state_ != State::tls_handshake) return;
    state_ = State::command;
    reply(smtp::reply(454, "4.7.0", "cannot start TLS: " + std::string(reason)));
}

void SmtpPreLoginDialogue::on_auth_command(const AuthArguments& args) {
    if (args.mechanism == "PLAIN") {
        if (!args.initial_response) {
            state_ = State::auth_plain;
            reply(auth_challenge_reply(""));
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
            reply(auth_challenge_reply(sasl::kLoginUserPrompt));
            return;
        }
        on_login_user(args.initial_response->reveal());
        return;
    }
    reply(smtp::reply(504, "5.5.4",
                      "mailbridge accepts AUTH PLAIN and AUTH LOGIN only, not " + args.mechanism));
}

void SmtpPreLoginDialogue::on_plain_response(std::string_view line) {
    state_ = State::command;
    auto answer = parse_sasl_answer(line);
    if (answer.cancelled) {
        reply(smtp::reply(501, "5.0.0", "AUTH cancelled"));
        return;
    }
    const std::string& data = answer.data.reveal();
    auto credentials = sasl::decode_plain(data == "=" ? "" : data);
    if (!credentials) {
        reply(smtp::reply(501, "5.5.2",
                          "invalid AUTH PLAIN response: " + credentials.error().message));
        return;
    }
    begin_login(std::move(credentials->authcid), std::move(credentials->password));
}

void SmtpPreLoginDialogue::on_login_user(std::string_view line) {
    state_ = State::command;
    auto answer = parse_sasl_answer(line);
    if (answer.cancelled) {
        reply(smtp::reply(501, "5.0.0", "AUTH cancelled"));
        return;
    }
    auto user = sasl::decode_login_user(answer.data.reveal());
    if (!user) {
        reply(smtp::reply(501, "5.5.2", "invalid AUTH LOGIN user name: " + user.error().message));
        return;
    }
    login_user_ = std::move(user.value());
    state_ = State::auth_login_password;
    reply(auth_challenge_reply(sasl::kLoginPasswordPrompt));
}

void SmtpPreLoginDialogue::on_login_password(std::string_view line) {
    state_ = State::command;
    auto answer = parse_sasl_answer(line);
    std::string user = std::exchange(login_user_, std::string());
    if (answer.cancelled) {
        reply(smtp::reply(501, "5.0.0", "AUTH cancelled"));
        return;
    }
    auto password = sasl::decode_login_password(answer.data.reveal());
    if (!password) {
        reply(
            smtp::reply(501, "5.5.2", "invalid AUTH LOGIN password: " + password.error().message));
        return;
    }
    begin_login(std::move(user), std::move(password.value()));
}

void SmtpPreLoginDialogue::begin_login(std::string user, Secret password) {
    state_ = State::logging_in;
    push_login(std::move(user), std::move(password));
}

void SmtpPreLoginDialogue::login_refused(const LoginRefusal& refusal) {
    if (state_ != State::logging_in) return;
    reply(refusal.temporary ? smtp::reply(454, "4.7.0", refusal.message)
                            : smtp::reply(535, "5.7.8", refusal.message));
    if (refusal.close_connection) {
        close(smtp::reply(421, "4.7.0", "mailbridge: too many failed logins on this connection"));
        return;
    }
    state_ = State::command;
    process();
}

std::string SmtpPreLoginDialogue::logged_in(std::string_view) {
    state_ = State::done;
    return smtp::reply(235, "2.7.0", "Authentication successful");
}

std::string SmtpPreLoginDialogue::take_pipelined() {
    state_ = State::done;
    std::string rest = std::move(input_);
    input_.clear();
    return rest;
}

}  // namespace mb::protocol::smtp
