// The POP3 protocol steps of Pop3Upstream on top of UpstreamConversation.
#include "bridge/session/pop3_upstream.h"

#include <algorithm>

#include "protocol/pop3/command_builder.h"
#include "protocol/pop3/limits.h"

namespace mb::session {
namespace pop3 = protocol::pop3;

Pop3Upstream::Pop3Upstream(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl)
    : UpstreamConversation(loop, std::move(settings), sasl) {}

void Pop3Upstream::prepare(PreparedHandler done) {
    expect_prepared(std::move(done));
    state_ = State::greeting;
    dial();
}

void Pop3Upstream::on_connected() {
    arm_timer("the greeting");
}

void Pop3Upstream::on_tls_ready() {
    request_capabilities();
}

void Pop3Upstream::request_capabilities() {
    state_ = State::capa;
    capa_text_.clear();
    capa_started_ = false;
    send(pop3::capa_command());
    arm_timer("CAPA");
}

void Pop3Upstream::on_line(std::string_view line, std::string_view raw, std::string_view rest) {
    switch (state_) {
        case State::greeting: {
            auto status = pop3::parse_status_line(line);
            if (!status || status->kind != pop3::StatusLine::Kind::Ok) {
                fail(UpstreamFailure::protocol,
                     "upstream " + where() + " sent no POP3 greeting (is it a POP3 port?): " +
                         std::string(line.substr(0, 200)));
                return;
            }
            request_capabilities();
            return;
        }
        case State::capa:
            on_capa_line(line, raw);
            return;
        case State::stls: {
            auto status = pop3::parse_status_line(line);
            if (!status || status->kind != pop3::StatusLine::Kind::Ok) {
                fail(UpstreamFailure::starttls_missing,
                     "upstream " + where() + " refused STLS: " + std::string(line.substr(0, 200)));
                return;
            }
            upgrade_tls();
            return;
        }
        case State::authenticating:
            on_auth_line(line, rest);
            return;
        default:
            return;
    }
}

void Pop3Upstream::on_capa_line(std::string_view line, std::string_view raw) {
    if (!capa_started_) {
        auto status = pop3::parse_status_line(line);
        if (!status || status->kind != pop3::StatusLine::Kind::Ok) {
            // CAPA is optional (RFC 2449): without it, assume nothing beyond USER.
            capabilities_ = {};
            capa_text_.clear();
            state_ = State::ready;
        } else {
            capa_started_ = true;
            capa_text_.append(raw);
            return;
        }
    } else {
        if (capa_text_.size() + raw.size() > pop3::limits::kMaxCapaResponse) {
            fail(UpstreamFailure::protocol,
                 "upstream " + where() + " sent an oversized CAPA answer");
            return;
        }
        capa_text_.append(raw);
        if (line != ".") return;
        auto parsed = pop3::parse_capa_response(capa_text_);
        if (!parsed) {
            fail(UpstreamFailure::protocol,
                 "upstream " + where() +
                     " sent an unreadable CAPA answer: " + parsed.error().message);
            return;
        }
        capabilities_ = std::move(parsed.value());
    }
    if (tls_active()) {
        become_ready();
        return;
    }
    if (!require_starttls(capabilities_.stls, "STLS")) return;
    state_ = State::stls;
    send(pop3::stls_command());
    arm_timer("STLS");
}

void Pop3Upstream::become_ready() {
    state_ = State::ready;
    report_ready();
}

UpstreamConversation::SaslOffer Pop3Upstream::sasl_offer() const {
    return {.oauthbearer = capabilities_.has_sasl("OAUTHBEARER"),
            .plain = capabilities_.has_sasl("PLAIN"),
            .login = capabilities_.has_sasl("LOGIN")};
}

std::optional<Secret> Pop3Upstream::send_auth_command(std::string_view mechanism,
                                                      std::optional<Secret> initial) {
    pass_line_.reset();
    state_ = State::authenticating;
    return send_auth(pop3::auth_command(mechanism, initial));
}

bool Pop3Upstream::send_password_login(const std::string& user, const Secret& password) {
    const auto has_line_break = [](std::string_view text) {
        return std::any_of(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; });
    };
    if (has_line_break(user) || has_line_break(password.reveal())) {
        fail(UpstreamFailure::auth_rejected,
             "the user name or password holds a line break (USER/PASS cannot carry it)");
        return false;
    }
    set_password_method("USER");
    pass_line_ = pop3::pass_command(password);
    state_ = State::authenticating;
    send(pop3::user_command(user));
    return true;
}

void Pop3Upstream::on_auth_line(std::string_view line, std::string_view rest) {
    auto status = pop3::parse_status_line(line);
    if (!status) return;
    if (pass_line_ && status->kind == pop3::StatusLine::Kind::Ok) {  // USER accepted
        send_secret(*pass_line_);
        pass_line_.reset();
        return;
    }
    pass_line_.reset();
    if (status->kind == pop3::StatusLine::Kind::Continuation) {
        answer_challenge(status->text);
        return;
    }
    if (status->kind == pop3::StatusLine::Kind::Ok) {
        state_ = State::authenticated;
        report_authenticated(std::string(line) + "\r\n", rest);
        return;
    }
    state_ = State::ready;
    report_refused(
        {UpstreamFailure::auth_rejected, std::string(status->text), std::string(status->code)});
}

}  // namespace mb::session
