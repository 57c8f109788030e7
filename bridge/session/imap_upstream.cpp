// The IMAP protocol steps of ImapUpstream on top of UpstreamConversation.
#include "bridge/session/imap_upstream.h"

#include <utility>

#include "protocol/imap/command_builder.h"
#include "protocol/imap/response_parser.h"
#include "protocol/imap/string_quoting.h"

namespace mb::session {
namespace imap = protocol::imap;

namespace {

std::string trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    return std::string(text);
}

}  // namespace

ImapUpstream::ImapUpstream(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl)
    : UpstreamConversation(loop, std::move(settings), sasl) {}

void ImapUpstream::prepare(PreparedHandler done) {
    expect_prepared(std::move(done));
    state_ = State::greeting;
    dial();
}

void ImapUpstream::on_connected() {
    arm_timer("the greeting");
}

void ImapUpstream::on_tls_ready() {
    capabilities_.clear();
    have_capabilities_ = false;  // what the server said before TLS no longer counts
    request_capabilities();
}

void ImapUpstream::on_line(std::string_view line, std::string_view, std::string_view rest) {
    switch (state_) {
        case State::greeting:
            on_greeting(line);
            break;
        case State::capability:
            on_capability_line(line);
            break;
        case State::starttls:
            on_starttls_answer(line);
            break;
        case State::authenticating:
            on_auth_line(line, rest);
            break;
        default:
            break;  // unsolicited while waiting for the client's login
    }
}

void ImapUpstream::on_greeting(std::string_view line) {
    auto response = imap::parse_response(line);
    if (!response || response->kind != imap::Response::Kind::Untagged) {
        fail(UpstreamFailure::protocol,
             "upstream " + where() + " sent no IMAP greeting (is it an IMAP port?)");
        return;
    }
    if (response->status == imap::ResponseStatus::Bye) {
        fail(UpstreamFailure::protocol,
             "upstream " + where() + " refused the connection: " + trimmed(response->text));
        return;
    }
    if (response->status != imap::ResponseStatus::Ok) {
        fail(UpstreamFailure::protocol,
             "upstream " + where() + " greeted with something other than OK: " + trimmed(line));
        return;
    }
    if (response->code && response->code->is("CAPABILITY")) {
        capabilities_.assign(response->capabilities.begin(), response->capabilities.end());
        have_capabilities_ = true;
        capabilities_known();
        return;
    }
    request_capabilities();
}

void ImapUpstream::request_capabilities() {
    pending_tag_ = next_tag();
    state_ = State::capability;
    send(imap::capability_command(pending_tag_));
    arm_timer("CAPABILITY");
}

void ImapUpstream::on_capability_line(std::string_view line) {
    auto response = imap::parse_response(line);
    if (!response) return;
    if (response->kind == imap::Response::Kind::Untagged && !response->capabilities.empty()) {
        capabilities_.assign(response->capabilities.begin(), response->capabilities.end());
        have_capabilities_ = true;
        return;
    }
    if (response->kind != imap::Response::Kind::Tagged || response->tag != pending_tag_) return;
    if (response->status != imap::ResponseStatus::Ok || !have_capabilities_) {
        fail(UpstreamFailure::protocol,
             "upstream " + where() + " did not answer CAPABILITY: " + trimmed(line));
        return;
    }
    capabilities_known();
}

void ImapUpstream::capabilities_known() {
    if (tls_active()) {
        become_ready();
        return;
    }
    if (!require_starttls(has_capability("STARTTLS"), "STARTTLS")) return;
    pending_tag_ = next_tag();
    state_ = State::starttls;
    send(imap::starttls_command(pending_tag_));
    arm_timer("STARTTLS");
}

void ImapUpstream::on_starttls_answer(std::string_view line) {
    auto response = imap::parse_response(line);
    if (!response || response->kind != imap::Response::Kind::Tagged ||
        response->tag != pending_tag_)
        return;
    if (response->status != imap::ResponseStatus::Ok) {
        fail(UpstreamFailure::starttls_missing,
             "upstream " + where() + " refused STARTTLS: " + trimmed(response->text));
        return;
    }
    upgrade_tls();
}

void ImapUpstream::become_ready() {
    state_ = State::ready;
    report_ready();
}

bool ImapUpstream::has_capability(std::string_view name) const {
    std::vector<std::string_view> caps(capabilities_.begin(), capabilities_.end());
    return imap::has_capability(caps, name);
}

UpstreamConversation::SaslOffer ImapUpstream::sasl_offer() const {
    return {.oauthbearer = has_capability("AUTH=OAUTHBEARER"),
            .plain = has_capability("AUTH=PLAIN"),
            .login = has_capability("AUTH=LOGIN")};
}

std::optional<Secret> ImapUpstream::send_auth_command(std::string_view mechanism,
                                                      std::optional<Secret> initial) {
    pending_tag_ = next_tag();
    state_ = State::authenticating;
    if (initial && has_capability("SASL-IR")) {
        send_secret(imap::authenticate_command(pending_tag_, mechanism, *initial));
        return std::nullopt;
    }
    send(imap::authenticate_command(pending_tag_, mechanism));
    return initial;
}

bool ImapUpstream::send_password_login(const std::string& user, const Secret& password) {
    if (has_capability("LOGINDISABLED"))
        return UpstreamConversation::send_password_login(user, password);
    const auto quotable = [](std::string_view text) {
        return imap::choose_string_form(text, false) == imap::StringForm::Quoted;
    };
    if (!quotable(user) || !quotable(password.reveal())) {
        fail(UpstreamFailure::auth_rejected,
             "upstream " + where() +
                 " offers neither AUTH=PLAIN nor AUTH=LOGIN, and its LOGIN command cannot "
                 "carry this user name or password (8-bit, line breaks or over 1 KiB)");
        return false;
    }
    set_password_method("IMAP LOGIN");
    pending_tag_ = next_tag();
    state_ = State::authenticating;
    send_secret(Secret(pending_tag_ + " LOGIN " + imap::quoted_string(user) + " " +
                       imap::quoted_string(password.reveal()) + "\r\n"));
    return true;
}

void ImapUpstream::on_auth_line(std::string_view line, std::string_view rest) {
    auto response = imap::parse_response(line);
    if (!response) return;
    if (response->kind == imap::Response::Kind::Continuation) {
        answer_challenge(response->text);
        return;
    }
    if (response->kind != imap::Response::Kind::Tagged || response->tag != pending_tag_) return;
    if (response->status == imap::ResponseStatus::Ok) {
        state_ = State::authenticated;
        report_authenticated(std::string(line) + "\r\n", rest);
        return;
    }
    state_ = State::ready;
    report_refused({UpstreamFailure::auth_rejected, trimmed(response->text),
                    response->code ? std::string(response->code->name) : std::string()});
}

}  // namespace mb::session
