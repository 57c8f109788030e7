// Dialing, line reading, STARTTLS upgrade, deadlines and failure of UpstreamConversation.
#include "bridge/session/upstream_conversation.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "bridge/log/log.h"
#include "bridge/net/stream_release.h"
#include "protocol/sasl/login.h"
#include "protocol/sasl/plain.h"

namespace mb::session {
namespace {

std::string_view without_crlf(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
    return text;
}

}  // namespace

UpstreamConversation::UpstreamConversation(uv_loop_t* loop, Settings settings,
                                           config::SaslMechanism sasl)
    : loop_(loop),
      settings_(std::move(settings)),
      dialer_(loop),
      timer_(loop),
      sasl_setting_(sasl) {}

// The owner may destroy a conversation from inside one of its stream's callbacks (a login that
// fails on the upstream's answer): the stream itself goes from a later loop turn.
UpstreamConversation::~UpstreamConversation() {
    *alive_ = false;
    dialer_.cancel();
    net::release_later(loop_, std::move(stream_));
}

std::string UpstreamConversation::where() const {
    return settings_.target.host + ":" + std::to_string(settings_.target.port);
}

void UpstreamConversation::start_deadline(std::string what) {
    deadline_ = std::chrono::steady_clock::now() + settings_.timeout;
    deadline_covers_ = std::move(what);
}

std::chrono::milliseconds UpstreamConversation::time_left() const {
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds(0));
}

void UpstreamConversation::dial() {
    net::DialTarget target = settings_.target;
    target.implicit_tls = !settings_.starttls;
    start_deadline("connecting, TLS and the greeting");
    dialer_.dial(
        target, time_left(),
        [this](std::unique_ptr<net::ByteStream> stream, std::optional<net::DialError> error) {
            if (error) {
                fail(upstream_failure_of(error->failure), error->message);
                return;
            }
            tls_active_ = !settings_.starttls;
            adopt(std::move(stream));
            on_connected();
        });
}

void UpstreamConversation::upgrade_tls() {
    upgrading_ = true;
    stop_timer();
    auto plain = std::move(stream_);
    plain->stop_reading();
    plain->set_handlers({});
    framer_ = protocol::LineFramer();
    dialer_.start_tls(
        std::move(plain), settings_.target, time_left(),
        [this](std::unique_ptr<net::ByteStream> stream, std::optional<net::DialError> error) {
            upgrading_ = false;
            if (error) {
                fail(upstream_failure_of(error->failure), error->message);
                return;
            }
            tls_active_ = true;
            adopt(std::move(stream));
            on_tls_ready();
        });
}

void UpstreamConversation::adopt(std::unique_ptr<net::ByteStream> stream) {
    stream_ = std::move(stream);
    framer_ = protocol::LineFramer();
    stream_->set_handlers({
        .on_data = [this](std::string_view bytes) { on_data(bytes); },
        .on_drained = {},
        .on_closed =
            [this](const net::CloseReason& reason) {
                auto closed = std::move(stream_);
                std::string why = reason.message.empty() ? "" : " (" + reason.message + ")";
                fail(UpstreamFailure::protocol,
                     "upstream " + where() + " closed the connection" + why);
            },
    });
    stream_->start_reading();
}

void UpstreamConversation::on_data(std::string_view bytes) {
    auto alive = alive_;
    while (!bytes.empty()) {
        auto outcome = framer_.next(bytes);
        bytes.remove_prefix(outcome.consumed);
        switch (outcome.status) {
            case protocol::LineFramer::Status::NeedMore:
                return;
            case protocol::LineFramer::Status::LineTooLong:
            case protocol::LineFramer::Status::BareLineFeed:
                fail(UpstreamFailure::protocol,
                     "upstream " + where() + " sent a line the bridge cannot read");
                return;
            case protocol::LineFramer::Status::Line:
                if (spdlog::should_log(spdlog::level::trace))
                    spdlog::trace("upstream {} S: {}", where(), without_crlf(outcome.raw));
                on_line(outcome.line, outcome.raw, bytes);
                // A state change that hands the stream on ends this read.
                if (!*alive || handed_over_ || upgrading_ || failed_) return;
                break;
        }
    }
}

void UpstreamConversation::send(std::string bytes) {
    if (spdlog::should_log(spdlog::level::trace))
        spdlog::trace("upstream {} C: {}", where(), without_crlf(bytes));
    if (stream_) stream_->write(std::move(bytes));
}

namespace {

// What the trace may show of a line carrying credentials: at most its first two words ("A1
// AUTHENTICATE", "AUTH XOAUTH2", "PASS"), never the last one, which always holds the secret.
std::string_view credential_line_prefix(std::string_view line) {
    // POP3 "PASS <password>": the password may itself hold spaces, so only the command shows.
    const bool pass = line.size() >= 5 && (line[0] | 0x20) == 'p' && (line[1] | 0x20) == 'a' &&
                      (line[2] | 0x20) == 's' && (line[3] | 0x20) == 's' && line[4] == ' ';
    std::size_t end = 0;
    for (int word = 0; word < (pass ? 1 : 2); ++word) {
        const auto space = line.find(' ', end);
        if (space == std::string_view::npos) break;
        end = space + 1;
    }
    return line.substr(0, end);
}

}  // namespace

// A SASL response lives for one exchange: it is never formatted into a log line (the trace shows
// its size), so nothing is registered for it and nothing accumulates per login.
void UpstreamConversation::send_secret(const Secret& bytes) {
    if (spdlog::should_log(spdlog::level::trace)) {
        const std::string_view line = without_crlf(bytes.reveal());
        const std::string_view shown = credential_line_prefix(line);
        spdlog::trace("upstream {} C: {}[credentials, {} bytes, not shown]", where(), shown,
                      line.size() - shown.size());
    }
    if (stream_) stream_->write(std::string_view(bytes.reveal()));
}

void UpstreamConversation::arm_timer(std::string phase) {
    phase_ = std::move(phase);
    auto armed = timer_.start(time_left(), [this] {
        fail(UpstreamFailure::timeout,
             fmt::format("upstream {} did not answer {} within {:g} s (connect_timeout, "
                         "one budget for {})",
                         where(), phase_, static_cast<double>(settings_.timeout.count()) / 1000,
                         deadline_covers_));
    });
    // Without its deadline the upstream could stall the session for ever: end the connection.
    if (!armed && stream_)
        stream_->abort(
            {net::CloseCause::error, "upstream " + where() + ": " + armed.error().message});
}

void UpstreamConversation::stop_timer() {
    timer_.stop();
}

void UpstreamConversation::hand_over(std::string_view rest) {
    stop_timer();
    handed_over_ = true;
    leftover_.assign(rest);
    stream_->stop_reading();
    stream_->set_handlers({});
}

void UpstreamConversation::fail(UpstreamFailure failure, std::string message, std::string code) {
    if (failed_) return;
    failed_ = true;
    stop_timer();
    dialer_.cancel();
    net::release_later(loop_, std::move(stream_));  // fail() may run inside its callbacks
    UpstreamError error{failure, std::move(message), std::move(code)};
    on_failed(error);
    if (auto prepared = std::move(prepared_)) {
        prepared(error);
        return;
    }
    if (auto done = std::move(auth_done_)) done(make_error(error.message), error);
}

std::optional<Secret> UpstreamConversation::plain_response(const std::string& user,
                                                           const Secret& password) {
    auto response = protocol::sasl::encode_plain("", user, password);
    if (!response) {
        fail(UpstreamFailure::auth_rejected,
             "cannot build the PLAIN response: " + response.error().message);
        return std::nullopt;
    }
    set_password_method("PLAIN");
    return std::move(response.value());
}

Result<Secret> UpstreamConversation::bearer_response(bool offers_oauthbearer,
                                                     const std::string& user, const Secret& token) {
    using protocol::sasl::BearerMechanism;
    switch (sasl_setting_) {
        case config::SaslMechanism::xoauth2:
            mechanism_ = BearerMechanism::Xoauth2;
            break;
        case config::SaslMechanism::oauthbearer:
            mechanism_ = BearerMechanism::OAuthBearer;
            break;
        case config::SaslMechanism::auto_select:
            mechanism_ =
                offers_oauthbearer ? BearerMechanism::OAuthBearer : BearerMechanism::Xoauth2;
            break;
    }
    if (mechanism_ == BearerMechanism::Xoauth2)
        return protocol::sasl::xoauth2_initial_response(user, token);
    return protocol::sasl::oauthbearer_initial_response(user, settings_.target.host,
                                                        settings_.target.port, token);
}

void UpstreamConversation::authenticate(const std::string& user, const Secret& token,
                                        AuthHandler done) {
    expect_authenticated(std::move(done));
    auto response = bearer_response(sasl_offer().oauthbearer, user, token);
    if (!response) {
        fail(UpstreamFailure::protocol,
             "cannot build the SASL response: " + response.error().message);
        return;
    }
    auto deferred =
        send_auth_command(protocol::sasl::mechanism_name(mechanism_), std::move(response.value()));
    exchange_ = protocol::sasl::SaslClientExchange::bearer(mechanism_, std::move(deferred));
    arm_timer("the authentication");
}

void UpstreamConversation::authenticate_password(const std::string& user, const Secret& password,
                                                 AuthHandler done) {
    expect_authenticated(std::move(done));
    const SaslOffer offer = sasl_offer();
    std::deque<Secret> owed;
    if (offer.plain) {
        auto response = plain_response(user, password);
        if (!response) return;
        if (auto deferred = send_auth_command("PLAIN", std::move(*response)))
            owed.push_back(std::move(*deferred));
    } else if (offer.login) {
        set_password_method("LOGIN");
        send_auth_command("LOGIN", std::nullopt);
        owed.emplace_back(protocol::sasl::encode_login_user(user));
        owed.push_back(protocol::sasl::encode_login_password(password));
    } else if (!send_password_login(user, password)) {
        return;
    }
    exchange_ = protocol::sasl::SaslClientExchange::password(std::move(owed));
    arm_timer("the authentication");
}

bool UpstreamConversation::require_starttls(bool offered, std::string_view verb,
                                            std::string_view tls_port_hint) {
    if (offered) return true;
    fail(UpstreamFailure::starttls_missing,
         "upstream " + where() + " does not offer " + std::string(verb) +
             "; refusing to send credentials in clear (use upstream_tls = \"implicit\" with its "
             "TLS port" +
             (tls_port_hint.empty() ? std::string() : ", " + std::string(tls_port_hint)) + ")");
    return false;
}

std::optional<Secret> UpstreamConversation::send_auth(protocol::sasl::AuthCommand command) {
    if (command.carries_credentials)
        send_secret(command.first_line);
    else
        send(command.first_line.reveal());
    return std::move(command.deferred_response);
}

bool UpstreamConversation::send_password_login(const std::string&, const Secret&) {
    // A configuration mismatch, not a passing fault: permanent, and no backoff.
    fail(UpstreamFailure::auth_rejected,
         "upstream " + where() +
             " takes no password the bridge can send (it offers neither SASL PLAIN nor LOGIN); "
             "use auth = \"oauth2\" for it");
    return false;
}

void UpstreamConversation::answer_challenge(std::string_view challenge) {
    auto answer = exchange_.on_challenge(challenge);
    if (answer.bearer_error)
        spdlog::debug("upstream {} SASL error challenge: {}", where(), *answer.bearer_error);
    if (answer.secret)
        send_secret(answer.line);
    else
        send(answer.line.reveal());
}

void UpstreamConversation::report_ready() {
    stop_timer();
    if (auto done = std::move(prepared_)) done(std::nullopt);
}

void UpstreamConversation::report_authenticated(std::string answer, std::string_view rest) {
    hand_over(rest);
    if (auto done = std::move(auth_done_)) done(std::move(answer), {});
}

void UpstreamConversation::report_refused(UpstreamError error) {
    stop_timer();
    if (auto done = std::move(auth_done_)) done(make_error(error.message), error);
}

}  // namespace mb::session
