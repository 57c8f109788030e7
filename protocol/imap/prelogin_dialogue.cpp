// The IMAP pre-login dialogue's decisions: see prelogin_dialogue.h.
#include "protocol/imap/prelogin_dialogue.h"

#include <utility>
#include <variant>

#include "protocol/imap/capabilities.h"
#include "protocol/imap/command_parser.h"
#include "protocol/imap/response_builder.h"
#include "protocol/printable_text.h"
#include "protocol/sasl/plain.h"

namespace mb::protocol::imap {

namespace {

std::string first_word(std::string_view text) {
    const std::size_t end = text.find_first_of(" \r\n");
    return std::string(text.substr(0, end));
}

// On a STARTTLS listener, until TLS is up: STARTTLS and LOGINDISABLED, no credentials taken.
PreAuthOffer pre_auth_offer(bool can_start_tls) {
    return {.starttls = can_start_tls, .login = !can_start_tls};
}

std::string privacy_required(std::string_view tag, std::string_view command) {
    return tagged_response(
        std::string(tag), ResponseStatus::No, "PRIVACYREQUIRED",
        std::string(command) + " is disabled before TLS on this listener; issue STARTTLS first");
}

}  // namespace

ImapPreLoginDialogue::ImapPreLoginDialogue(Options options)
    : options_(options), framer_(make_framer()) {}

StreamFramer ImapPreLoginDialogue::make_framer() {
    return StreamFramer({.direction = StreamFramer::Direction::ClientToServer,
                         .max_line = limits::kMaxLineLength,
                         .max_literal = limits::kMaxPreAuthLiteral});
}

std::string ImapPreLoginDialogue::goodbye(std::string_view reason) {
    return bye_response("mailbridge: " + std::string(reason));
}

std::string ImapPreLoginDialogue::greeting() const {
    return greeting_response(pre_auth_capabilities(pre_auth_offer(can_starttls())),
                             "mailbridge ready");
}

bool ImapPreLoginDialogue::wants_input() const {
    return state_ == State::not_authenticated || state_ == State::sasl_response ||
           state_ == State::tls_handshake;  // the handshake needs reading
}

void ImapPreLoginDialogue::close(std::string goodbye_bytes) {
    state_ = State::done;
    input_.clear();
    command_.clear();
    push(PreLoginAction::Kind::close, std::move(goodbye_bytes));
}

void ImapPreLoginDialogue::feed(std::string_view bytes) {
    if (state_ == State::done || state_ == State::tls_handshake) return;
    if (input_.size() + bytes.size() > options_.max_input) {
        close(goodbye("too much input before login"));
        return;
    }
    input_.append(bytes);
    process();
}

void ImapPreLoginDialogue::process() {
    while (!input_.empty() &&
           (state_ == State::not_authenticated || state_ == State::sasl_response)) {
        auto event = framer_.next(input_);
        std::string_view bytes = event.bytes;
        switch (event.kind) {
            case StreamEvent::Kind::NeedMore:
                input_.clear();  // the framer keeps what it needs
                return;
            case StreamEvent::Kind::Error: {
                std::string tag = first_word(command_.empty() ? std::string(bytes) : command_);
                command_.clear();
                if (event.stream_usable && !tag.empty() && tag != "*" && tag != "+") {
                    input_.erase(0, event.consumed);
                    reply(tagged_response(tag, ResponseStatus::Bad, "", event.error));
                    continue;
                }
                close(goodbye(event.error));
                return;
            }
            case StreamEvent::Kind::LineSegment:
            case StreamEvent::Kind::LiteralBody:
                break;
        }
        if (command_.size() + bytes.size() > options_.max_command) {
            close(goodbye("command too long before login"));
            return;
        }
        command_.append(bytes);  // before erasing: `bytes` may point into input_
        input_.erase(0, event.consumed);
        if (event.kind == StreamEvent::Kind::LineSegment && event.literal &&
            !event.literal->non_sync && state_ == State::not_authenticated)
            reply(continuation_response("Ready for literal data"));
        const bool complete = event.kind == StreamEvent::Kind::LineSegment && event.ends_unit;
        if (!complete) continue;
        std::string command = std::exchange(command_, std::string());
        if (state_ == State::sasl_response)
            on_sasl_response(command);
        else
            dispatch(command);
    }
}

void ImapPreLoginDialogue::dispatch(std::string_view text) {
    auto parsed = parse_command(text);
    if (auto* error = std::get_if<CommandError>(&parsed)) {
        if (error->tag.empty())
            reply(untagged_response(ResponseStatus::Bad, "", error->reason));
        else
            reply(tagged_response(error->tag, ResponseStatus::Bad, "", error->reason));
        return;
    }
    auto& command = std::get<Command>(parsed);
    push(PreLoginAction::Kind::command, command.tag + " " + command.name);
    const bool starttls_first = can_starttls();
    switch (command.kind) {
        case CommandKind::Capability:
            reply(capability_response(pre_auth_capabilities(pre_auth_offer(starttls_first))));
            reply(tagged_response(command.tag, ResponseStatus::Ok, "", "CAPABILITY completed"));
            return;
        case CommandKind::Noop:
            reply(tagged_response(command.tag, ResponseStatus::Ok, "", "NOOP completed"));
            return;
        case CommandKind::Logout:
            reply(bye_response("mailbridge: logging out"));
            close(tagged_response(command.tag, ResponseStatus::Ok, "", "LOGOUT completed"));
            return;
        case CommandKind::Id:
            reply(id_response({{"name", "mailbridge"}}));
            reply(tagged_response(command.tag, ResponseStatus::Ok, "", "ID completed"));
            return;
        case CommandKind::StartTls:
            if (!starttls_first) {
                reply(tagged_response(command.tag, ResponseStatus::Bad, "",
                                      "STARTTLS is not offered on this listener"));
                return;
            }
            // Nothing sent before the handshake may count (command injection).
            input_.clear();
            command_.clear();
            framer_ = make_framer();
            state_ = State::tls_handshake;
            push(PreLoginAction::Kind::start_tls,
                 tagged_response(command.tag, ResponseStatus::Ok, "", "Begin TLS negotiation now"));
            return;
        case CommandKind::Login: {
            if (starttls_first) {
                reply(privacy_required(command.tag, "LOGIN"));
                return;
            }
            auto& args = std::get<LoginArguments>(command.arguments);
            begin_login(command.tag, std::move(args.user), std::move(args.password));
            return;
        }
        case CommandKind::Authenticate: {
            if (starttls_first) {
                reply(privacy_required(command.tag, "AUTHENTICATE"));
                return;
            }
            auto& args = std::get<AuthenticateArguments>(command.arguments);
            if (args.mechanism != "PLAIN") {
                reply(tagged_response(command.tag, ResponseStatus::No, "",
                                      "mailbridge accepts AUTHENTICATE PLAIN only"));
                return;
            }
            sasl_tag_ = command.tag;
            if (!args.initial_response) {
                state_ = State::sasl_response;
                reply(continuation_response(""));
                return;
            }
            on_sasl_response(args.initial_response->reveal());
            return;
        }
        case CommandKind::Other:
            reply(tagged_response(command.tag, ResponseStatus::Bad, "",
                                  command.name + " is not allowed before login; log in "
                                                 "with LOGIN or AUTHENTICATE PLAIN first"));
            return;
    }
}

void ImapPreLoginDialogue::on_sasl_response(std::string_view line) {
    state_ = State::not_authenticated;
    const std::string_view response = without_line_end(line);
    if (response == "*") {
        reply(tagged_response(sasl_tag_, ResponseStatus::Bad, "", "AUTHENTICATE cancelled"));
        return;
    }
    auto credentials = sasl::decode_plain(response == "=" ? "" : response);
    if (!credentials) {
        reply(
            tagged_response(sasl_tag_, ResponseStatus::Bad, "",
                            "invalid AUTHENTICATE PLAIN response: " + credentials.error().message));
        return;
    }
    begin_login(sasl_tag_, std::move(credentials->authcid), std::move(credentials->password));
}

void ImapPreLoginDialogue::begin_login(std::string tag, std::string user, Secret password) {
    login_tag_ = std::move(tag);
    state_ = State::logging_in;
    push_login(std::move(user), std::move(password));
}

void ImapPreLoginDialogue::tls_started() {
    if (state_ != State::tls_handshake) return;
    tls_active_ = true;
    state_ = State::not_authenticated;
}

void ImapPreLoginDialogue::tls_unavailable(std::string_view reason) {
    if (state_ != State::tls_handshake) return;
    close(goodbye("cannot start TLS: " + std::string(reason)));
}

void ImapPreLoginDialogue::login_refused(const LoginRefusal& refusal) {
    if (state_ != State::logging_in) return;
    std::string code = refusal.upstream_code;
    if (code.empty()) code = refusal.temporary ? "UNAVAILABLE" : "AUTHENTICATIONFAILED";
    reply(tagged_response(login_tag_, ResponseStatus::No, code, refusal.message));
    if (refusal.close_connection) {
        close(goodbye("too many failed logins on this connection"));
        return;
    }
    state_ = State::not_authenticated;
    process();
}

std::string ImapPreLoginDialogue::logged_in(std::string_view upstream_answer) {
    state_ = State::done;
    const std::size_t space = upstream_answer.find(' ');
    std::string line =
        login_tag_ + std::string(space == std::string_view::npos ? std::string_view(" OK\r\n")
                                                                 : upstream_answer.substr(space));
    if (auto rewritten = rewrite_capability_response(line)) line = std::move(*rewritten);
    return line;
}

std::string ImapPreLoginDialogue::take_pipelined() {
    state_ = State::done;
    command_.clear();
    return std::exchange(input_, std::string());
}

}  // namespace mb::protocol::imap
