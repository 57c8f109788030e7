// The SMTP protocol steps of SmtpUpstream on top of UpstreamConversation.
#include "bridge/session/smtp_upstream.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "protocol/sasl/login.h"
#include "protocol/smtp/command_builder.h"

namespace mb::session {
namespace smtp = protocol::smtp;
namespace sasl = protocol::sasl;

namespace {

std::string reply_text(const smtp::Reply& reply) {
    return std::to_string(reply.code) + " " + reply.text();
}

}  // namespace

SmtpUpstream::SmtpUpstream(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl,
                           std::string ehlo_domain, CapabilitiesObserver on_capabilities)
    : UpstreamConversation(loop, std::move(settings)),
      sasl_(sasl),
      ehlo_domain_(std::move(ehlo_domain)),
      on_capabilities_(std::move(on_capabilities)) {}

void SmtpUpstream::prepare(PreparedHandler done) {
    expect_prepared(std::move(done));
    state_ = State::greeting;
    dial();
}

void SmtpUpstream::on_connected() {
    arm_timer("the greeting");
}

void SmtpUpstream::on_tls_ready() {
    // What the server offered before TLS no longer counts (RFC 3207 §4.2): ask again.
    capabilities_ = {};
    assembler_ = {};
    reply_raw_.clear();
    send_ehlo();
}

void SmtpUpstream::send_ehlo() {
    state_ = State::ehlo;
    send(smtp::ehlo_command(ehlo_domain_));
    arm_timer("EHLO");
}

void SmtpUpstream::on_line(std::string_view line, std::string_view raw, std::string_view rest) {
    reply_raw_.append(raw);
    auto outcome = assembler_.add_line(line);
    if (outcome.status == smtp::ReplyAssembler::Status::NeedMore) return;
    std::string reply_raw = std::move(reply_raw_);
    reply_raw_.clear();
    if (outcome.status == smtp::ReplyAssembler::Status::Error) {
        fail(UpstreamFailure::protocol, "upstream " + where() + " sent a malformed SMTP reply (" +
                                            outcome.error + "; is it an SMTP submission port?)");
        return;
    }
    // Each step may end in a callback that destroys this object: nothing may follow it.
    const smtp::Reply& reply = assembler_.reply();
    switch (state_) {
        case State::greeting:
            on_greeting(reply);
            return;
        case State::ehlo:
            on_ehlo_reply(reply);
            return;
        case State::starttls:
            on_starttls_reply(reply);
            return;
        case State::authenticating:
            on_auth_reply(reply, std::move(reply_raw), rest);
            return;
        default:
            if (reply.code == 421)
                fail(UpstreamFailure::protocol,
                     "upstream " + where() + " closed the session: " + reply_text(reply));
            return;
    }
}

void SmtpUpstream::on_greeting(const smtp::Reply& reply) {
    if (reply.code != 220) {
        fail(UpstreamFailure::protocol,
             "upstream " + where() + " refused the connection: " + reply_text(reply));
        return;
    }
    send_ehlo();
}

void SmtpUpstream::on_ehlo_reply(const smtp::Reply& reply) {
    if (reply.code != 250) {
        fail(UpstreamFailure::protocol,
             "upstream " + where() + " refused EHLO: " + reply_text(reply));
        return;
    }
    capabilities_ = smtp::parse_ehlo_reply(reply);
    if (tls_active()) {
        become_ready();
        return;
    }
    if (!capabilities_.starttls) {
        fail(UpstreamFailure::starttls_missing,
             "upstream " + where() +
                 " does not offer STARTTLS; refusing to send credentials in clear (use "
                 "upstream_tls = \"implicit\" with its TLS port, usually 465)");
        return;
    }
    state_ = State::starttls;
    send(smtp::starttls_command());
    arm_timer("STARTTLS");
}

void SmtpUpstream::on_starttls_reply(const smtp::Reply& reply) {
    if (reply.code != 220) {
        fail(UpstreamFailure::starttls_missing,
             "upstream " + where() + " refused STARTTLS: " + reply_text(reply));
        return;
    }
    upgrade_tls();
}

void SmtpUpstream::become_ready() {
    state_ = State::ready;
    if (on_capabilities_) on_capabilities_(capabilities_);
    report_ready();
}

void SmtpUpstream::authenticate(const std::string& user, const Secret& token, AuthHandler done) {
    expect_authenticated(std::move(done));
    auto response = bearer_response(sasl_, capabilities_.has_auth("OAUTHBEARER"), user, token);
    if (!response) {
        fail(UpstreamFailure::protocol,
             "cannot build the SASL response: " + response.error().message);
        return;
    }
    state_ = State::authenticating;
    send_auth(sasl::mechanism_name(mechanism()), *response);
    arm_timer("the authentication");
}

void SmtpUpstream::send_auth(std::string_view mechanism, const Secret& response) {
    auto command = smtp::auth_command(mechanism, response);
    deferred_response_ = std::move(command.deferred_response);
    send_secret(command.first_line);
}

// Like the bearer tokens, PLAIN goes as the mechanism alone, then the response after 334
// (servers reject long AUTH lines); AUTH LOGIN sends the user, then the password.
void SmtpUpstream::authenticate_password(const std::string& user, const Secret& password,
                                         AuthHandler done) {
    expect_authenticated(std::move(done));
    deferred_response_.reset();
    login_password_.reset();
    if (capabilities_.has_auth("PLAIN")) {
        auto response = plain_response(user, password);
        if (!response) return;
        send_auth("PLAIN", *response);
    } else if (capabilities_.has_auth("LOGIN")) {
        set_password_method("LOGIN");
        deferred_response_ = Secret(sasl::encode_login_user(user) + "\r\n");
        login_password_ = Secret(sasl::encode_login_password(password).reveal() + "\r\n");
        send("AUTH LOGIN\r\n");
    } else {
        // A configuration mismatch, not a passing fault: permanent, and no backoff.
        fail(UpstreamFailure::auth_rejected,
             "upstream " + where() +
                 " takes no password the bridge can send (neither AUTH PLAIN nor AUTH LOGIN); "
                 "use auth = \"oauth2\" for it");
        return;
    }
    state_ = State::authenticating;
    arm_timer("the authentication");
}

void SmtpUpstream::on_auth_reply(const smtp::Reply& reply, std::string reply_raw,
                                 std::string_view rest) {
    if (reply.code == 334) {
        if (deferred_response_) {
            send_secret(*deferred_response_);
            deferred_response_ = std::exchange(login_password_, std::nullopt);
            return;
        }
        if (password_mode()) {  // no further challenge in PLAIN or LOGIN: cancel
            send("*\r\n");
            return;
        }
        // The server's error challenge (base64 JSON): answer it so that its 535 follows.
        const std::string challenge = reply.lines.empty() ? std::string() : reply.lines.front();
        if (auto detail = sasl::decode_bearer_error(challenge))
            spdlog::debug("upstream {} SASL error challenge: {}", where(), *detail);
        send(smtp::bearer_error_answer_line(mechanism()));
        return;
    }
    deferred_response_.reset();
    login_password_.reset();
    if (reply.code == 235) {
        state_ = State::authenticated;
        report_authenticated(std::move(reply_raw), rest);
        return;
    }
    state_ = State::ready;
    if (reply.code == 421) {
        fail(UpstreamFailure::protocol,
             "upstream " + where() + " closed the session: " + reply_text(reply));
        return;
    }
    // 5xx: the credentials were refused; 4xx (454 4.7.0 and the like): the server could not
    // check them now, which is not the token's fault.
    UpstreamError error{
        reply.permanent_failure() ? UpstreamFailure::auth_rejected : UpstreamFailure::protocol,
        reply_text(reply), reply.enhanced};
    if (!reply.permanent_failure())
        error.message = "upstream " + where() + " could not authenticate now: " + error.message;
    report_refused(std::move(error));
}

void SmtpUpstream::on_failed(const UpstreamError&) {
    const bool was_preparing = state_ == State::idle || state_ == State::greeting ||
                               state_ == State::ehlo || state_ == State::starttls;
    state_ = State::failed;
    if (was_preparing && on_capabilities_) on_capabilities_(std::nullopt);
}

}  // namespace mb::session
