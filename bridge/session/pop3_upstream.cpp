// The POP3 protocol steps of Pop3Upstream on top of UpstreamConversation.
#include "bridge/session/pop3_upstream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "protocol/pop3/command_builder.h"
#include "protocol/pop3/limits.h"
#include "protocol/sasl/login.h"

namespace mb::session {
namespace pop3 = protocol::pop3;
namespace sasl = protocol::sasl;

Pop3Upstream::Pop3Upstream(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl)
    : UpstreamConversation(loop, std::move(settings)), sasl_(sasl) {}

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
    if (!capabilities_.stls) {
        fail(UpstreamFailure::starttls_missing,
             "upstream " + where() +
                 " does not offer STLS; refusing to send credentials in clear (use "
                 "upstream_tls = \"implicit\" with its TLS port)");
        return;
    }
    state_ = State::stls;
    send(pop3::stls_command());
    arm_timer("STLS");
}

void Pop3Upstream::become_ready() {
    state_ = State::ready;
    report_ready();
}

void Pop3Upstream::authenticate(const std::string& user, const Secret& token, AuthHandler done) {
    expect_authenticated(std::move(done));
    auto response = bearer_response(sasl_, capabilities_.has_sasl("OAUTHBEARER"), user, token);
    if (!response) {
        fail(UpstreamFailure::protocol,
             "cannot build the SASL response: " + response.error().message);
        return;
    }
    state_ = State::authenticating;
    send_auth(sasl::mechanism_name(mechanism()), *response);
    arm_timer("the authentication");
}

void Pop3Upstream::send_auth(std::string_view mechanism, const Secret& response) {
    auto command = pop3::auth_command(mechanism, response);
    deferred_response_ = std::move(command.deferred_response);
    send_secret(command.first_line);
}

void Pop3Upstream::authenticate_password(const std::string& user, const Secret& password,
                                         AuthHandler done) {
    expect_authenticated(std::move(done));
    pass_line_.reset();
    deferred_response_.reset();
    if (capabilities_.has_sasl("PLAIN")) {
        auto response = plain_response(user, password);
        if (!response) return;
        state_ = State::authenticating;
        send_auth("PLAIN", *response);
    } else if (capabilities_.has_sasl("LOGIN")) {
        set_password_method("LOGIN");
        deferred_response_ = Secret(sasl::encode_login_user(user) + "\r\n");
        second_response_ = Secret(sasl::encode_login_password(password).reveal() + "\r\n");
        state_ = State::authenticating;
        send("AUTH LOGIN\r\n");
    } else {
        const bool printable =
            std::none_of(user.begin(), user.end(), [](char c) { return c == '\r' || c == '\n'; }) &&
            std::none_of(password.reveal().begin(), password.reveal().end(),
                         [](char c) { return c == '\r' || c == '\n'; });
        if (!printable) {
            fail(UpstreamFailure::auth_rejected,
                 "the user name or password holds a line break (USER/PASS cannot carry it)");
            return;
        }
        set_password_method("USER");
        pass_line_ = Secret("PASS " + password.reveal() + "\r\n");
        state_ = State::authenticating;
        send(pop3::user_command(user));
    }
    arm_timer("the authentication");
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
    if (status->kind == pop3::StatusLine::Kind::Continuation && password_mode() &&
        !deferred_response_) {
        send("*\r\n");  // PLAIN has no second challenge: cancel, the -ERR follows
        return;
    }
    if (status->kind == pop3::StatusLine::Kind::Continuation) {
        if (deferred_response_) {
            send_secret(*deferred_response_);
            deferred_response_ = std::exchange(second_response_, std::nullopt);
            return;
        }
        if (auto detail = sasl::decode_bearer_error(status->text))
            spdlog::debug("upstream {} SASL error challenge: {}", where(), *detail);
        send(pop3::bearer_error_answer_line(mechanism()));
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
