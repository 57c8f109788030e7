// The SMTP protocol steps of SmtpUpstream on top of UpstreamConversation.
#include "bridge/session/smtp_upstream.h"

#include <utility>

#include "protocol/smtp/command_builder.h"

namespace mb::session {
namespace smtp = protocol::smtp;

namespace {

std::string reply_text(const smtp::Reply& reply) {
    return std::to_string(reply.code) + " " + reply.text();
}

}  // namespace

SmtpUpstream::SmtpUpstream(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl,
                           std::string ehlo_domain, CapabilitiesObserver on_capabilities)
    : UpstreamConversation(loop, std::move(settings), sasl),
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
    if (!require_starttls(capabilities_.starttls, "STARTTLS", "usually 465")) return;
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

UpstreamConversation::SaslOffer SmtpUpstream::sasl_offer() const {
    return {.oauthbearer = capabilities_.has_auth("OAUTHBEARER"),
            .plain = capabilities_.has_auth("PLAIN"),
            .login = capabilities_.has_auth("LOGIN")};
}

std::optional<Secret> SmtpUpstream::send_auth_command(std::string_view mechanism,
                                                      std::optional<Secret> initial) {
    state_ = State::authenticating;
    return send_auth(smtp::auth_command(mechanism, initial));
}

void SmtpUpstream::on_auth_reply(const smtp::Reply& reply, std::string reply_raw,
                                 std::string_view rest) {
    if (reply.code == 334) {
        answer_challenge(reply.lines.empty() ? std::string_view() : reply.lines.front());
        return;
    }
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
