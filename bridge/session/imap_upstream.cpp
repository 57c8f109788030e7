// The upstream IMAP client state machine of ImapUpstream: greeting → [STARTTLS → TLS] →
// CAPABILITY → ready → AUTHENTICATE (SASL-IR when offered; answers an error continuation).
#include "bridge/session/imap_upstream.h"

#include <spdlog/spdlog.h>

#include "bridge/log/log.h"
#include "protocol/imap/response_parser.h"

namespace mb::session {
namespace imap = protocol::imap;
namespace sasl = protocol::sasl;

namespace {

UpstreamFailure from_dial(net::DialFailure failure) {
    switch (failure) {
        case net::DialFailure::connect:
            return UpstreamFailure::connect;
        case net::DialFailure::timeout:
            return UpstreamFailure::timeout;
        case net::DialFailure::tls:
            return UpstreamFailure::tls;
    }
    return UpstreamFailure::connect;
}

std::string trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    return std::string(text);
}

}  // namespace

ImapUpstream::ImapUpstream(uv_loop_t* loop, Settings settings)
    : loop_(loop), settings_(std::move(settings)), dialer_(loop) {}

ImapUpstream::~ImapUpstream() {
    *alive_ = false;
    dialer_.cancel();
    if (stream_) stream_->set_handlers({});
}

std::string ImapUpstream::where() const {
    return settings_.target.host + ":" + std::to_string(settings_.target.port);
}

std::string ImapUpstream::next_tag() {
    return "mb" + std::to_string(++tag_counter_);
}

void ImapUpstream::prepare(PreparedHandler done) {
    prepared_ = std::move(done);
    state_ = State::dialing;
    net::DialTarget target = settings_.target;
    target.implicit_tls = !settings_.starttls;
    dialer_.dial(
        target, settings_.timeout,
        [this](std::unique_ptr<net::ByteStream> stream, std::optional<net::DialError> error) {
            if (error) {
                fail(from_dial(error->failure), error->message);
                return;
            }
            state_ = State::greeting;
            adopt(std::move(stream));
            arm_timer("the greeting");
        });
}

void ImapUpstream::adopt(std::unique_ptr<net::ByteStream> stream) {
    stream_ = std::move(stream);
    framer_ = protocol::LineFramer();
    stream_->set_handlers({.on_data = [this](std::string_view bytes) { on_data(bytes); },
                           .on_drained = {},
                           .on_closed =
                               [this](const net::CloseReason& reason) {
                                   auto closed = std::move(stream_);
                                   std::string why =
                                       reason.message.empty() ? "" : " (" + reason.message + ")";
                                   fail(UpstreamFailure::protocol,
                                        "upstream " + where() + " closed the connection" + why);
                               }});
    stream_->start_reading();
}

void ImapUpstream::arm_timer(const char* phase) {
    phase_ = phase;
    if (!timer_.is_open()) {
        timer_.open([this](uv_timer_t* t) { return uv_timer_init(loop_, t); });
        timer_.get()->data = this;
    }
    uv_timer_start(
        timer_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<ImapUpstream*>(t->data);
            if (!self) return;
            self->fail(
                UpstreamFailure::timeout,
                "upstream " + self->where() + " did not answer " + self->phase_ +
                    fmt::format(" within {:g} s (connect_timeout)",
                                static_cast<double>(self->settings_.timeout.count()) / 1000));
        },
        static_cast<uint64_t>(settings_.timeout.count()), 0);
}

void ImapUpstream::send_command(std::string command) {
    if (stream_) stream_->write(std::move(command));
}

void ImapUpstream::on_data(std::string_view bytes) {
    auto alive = alive_;
    while (!bytes.empty() && *alive) {
        auto outcome = framer_.next(bytes);
        bytes.remove_prefix(outcome.consumed);
        switch (outcome.status) {
            case protocol::LineFramer::Status::NeedMore:
                return;
            case protocol::LineFramer::Status::LineTooLong:
            case protocol::LineFramer::Status::BareLineFeed:
                fail(UpstreamFailure::protocol,
                     "upstream " + where() + " sent a line longer than the bridge accepts");
                return;
            case protocol::LineFramer::Status::Line:
                on_line(outcome.line, outcome.raw, bytes);
                // A state change that hands the stream on ends this read.
                if (!*alive || state_ == State::authenticated || state_ == State::tls_handshake ||
                    state_ == State::failed)
                    return;
                break;
        }
    }
}

void ImapUpstream::on_line(std::string_view line, std::string_view raw, std::string_view rest) {
    if (spdlog::should_log(spdlog::level::trace))
        spdlog::trace("upstream {} S: {}", where(), trimmed(raw));
    switch (state_) {
        case State::greeting:
            on_greeting(line);
            break;
        case State::starttls:
            on_starttls_answer(line);
            break;
        case State::capability:
            on_capability_line(line);
            break;
        case State::authenticating:
            on_auth_line(line, rest);
            break;
        case State::ready:
            // Unsolicited while waiting for the client's login, e.g. "* BYE ... inactivity".
            break;
        default:
            break;
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
             "upstream " + where() + " refused the connection: " + std::string(response->text));
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
    }
    if (settings_.starttls && have_capabilities_) {
        std::vector<std::string_view> caps(capabilities_.begin(), capabilities_.end());
        if (!imap::has_capability(caps, "STARTTLS")) {
            fail(UpstreamFailure::starttls_missing,
                 "upstream " + where() +
                     " does not offer STARTTLS; refusing to send credentials in clear (use "
                     "upstream_tls = \"implicit\" with its TLS port)");
            return;
        }
    }
    if (settings_.starttls && have_capabilities_) {
        pending_tag_ = next_tag();
        state_ = State::starttls;
        send_command(pending_tag_ + " STARTTLS\r\n");
        arm_timer("STARTTLS");
        return;
    }
    if (have_capabilities_) {
        state_ = State::ready;
        uv_timer_stop(timer_.get());
        auto done = std::move(prepared_);
        if (done) done(std::nullopt);
        return;
    }
    pending_tag_ = next_tag();
    state_ = State::capability;
    send_command(pending_tag_ + " CAPABILITY\r\n");
    arm_timer("CAPABILITY");
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
    state_ = State::tls_handshake;
    auto plain = std::move(stream_);
    plain->stop_reading();
    plain->set_handlers({});
    framer_ = protocol::LineFramer();
    capabilities_.clear();
    have_capabilities_ = false;  // what the server said before TLS no longer counts
    uv_timer_stop(timer_.get());
    dialer_.start_tls(
        std::move(plain), settings_.target, settings_.timeout,
        [this](std::unique_ptr<net::ByteStream> stream, std::optional<net::DialError> error) {
            if (error) {
                fail(from_dial(error->failure), error->message);
                return;
            }
            adopt(std::move(stream));
            pending_tag_ = next_tag();
            state_ = State::capability;
            send_command(pending_tag_ + " CAPABILITY\r\n");
            arm_timer("CAPABILITY");
        });
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
    bool before_tls = settings_.starttls && !dialer_.timings().tls;
    if (before_tls) {
        std::vector<std::string_view> caps(capabilities_.begin(), capabilities_.end());
        if (!imap::has_capability(caps, "STARTTLS")) {
            fail(UpstreamFailure::starttls_missing,
                 "upstream " + where() +
                     " does not offer STARTTLS; refusing to send credentials in clear (use "
                     "upstream_tls = \"implicit\" with its TLS port)");
            return;
        }
        pending_tag_ = next_tag();
        state_ = State::starttls;
        send_command(pending_tag_ + " STARTTLS\r\n");
        arm_timer("STARTTLS");
        return;
    }
    state_ = State::ready;
    uv_timer_stop(timer_.get());
    auto done = std::move(prepared_);
    if (done) done(std::nullopt);
}

void ImapUpstream::authenticate(const std::string& user, const Secret& token, AuthHandler done) {
    auth_done_ = std::move(done);
    std::vector<std::string_view> caps(capabilities_.begin(), capabilities_.end());
    switch (settings_.sasl) {
        case config::SaslMechanism::xoauth2:
            mechanism_ = sasl::BearerMechanism::Xoauth2;
            break;
        case config::SaslMechanism::oauthbearer:
            mechanism_ = sasl::BearerMechanism::OAuthBearer;
            break;
        case config::SaslMechanism::auto_select:
            mechanism_ = imap::has_capability(caps, "AUTH=OAUTHBEARER")
                             ? sasl::BearerMechanism::OAuthBearer
                             : sasl::BearerMechanism::Xoauth2;
            break;
    }
    auto response = mechanism_ == sasl::BearerMechanism::Xoauth2
                        ? sasl::xoauth2_initial_response(user, token)
                        : sasl::oauthbearer_initial_response(user, settings_.target.host,
                                                             settings_.target.port, token);
    if (!response) {
        fail(UpstreamFailure::protocol,
             "cannot build the SASL response: " + response.error().message);
        return;
    }
    log::register_secret(response->reveal());
    pending_tag_ = next_tag();
    error_answered_ = false;
    state_ = State::authenticating;
    std::string command =
        pending_tag_ + " AUTHENTICATE " + std::string(sasl::mechanism_name(mechanism_));
    if (imap::has_capability(caps, "SASL-IR")) {
        send_command(command + " " + response->reveal() + "\r\n");
        initial_response_.reset();
    } else {
        send_command(command + "\r\n");
        initial_response_ = std::move(response.value());
    }
    arm_timer("the authentication");
}

void ImapUpstream::on_auth_line(std::string_view line, std::string_view rest) {
    auto response = imap::parse_response(line);
    if (!response) return;
    if (response->kind == imap::Response::Kind::Continuation) {
        if (initial_response_) {
            send_command(initial_response_->reveal() + "\r\n");
            initial_response_.reset();
            return;
        }
        // The server's error challenge (base64 JSON): answer it so the tagged NO follows.
        if (auto detail = sasl::decode_bearer_error(response->text))
            spdlog::debug("upstream {} SASL error challenge: {}", where(), *detail);
        error_answered_ = true;
        send_command(std::string(sasl::bearer_error_answer(mechanism_)) + "\r\n");
        return;
    }
    if (response->kind != imap::Response::Kind::Tagged || response->tag != pending_tag_) return;
    uv_timer_stop(timer_.get());
    auto done = std::move(auth_done_);
    if (response->status == imap::ResponseStatus::Ok) {
        state_ = State::authenticated;
        stream_->stop_reading();
        stream_->set_handlers({});
        leftover_.assign(rest);
        std::string ok_line(line);
        ok_line += "\r\n";
        if (done) done(ok_line, {});
        return;
    }
    state_ = State::ready;
    UpstreamError error{UpstreamFailure::auth_rejected, trimmed(response->text),
                        response->code ? std::string(response->code->name) : std::string()};
    if (done) done(make_error(error.message), error);
}

std::unique_ptr<net::ByteStream> ImapUpstream::take_stream() {
    return std::move(stream_);
}

void ImapUpstream::fail(UpstreamFailure failure, std::string message, std::string code) {
    if (state_ == State::failed) return;
    state_ = State::failed;
    if (timer_.is_open()) uv_timer_stop(timer_.get());
    dialer_.cancel();
    if (stream_) {
        stream_->set_handlers({});
        stream_->abort({net::CloseCause::local, message});
        stream_.reset();
    }
    UpstreamError error{failure, std::move(message), std::move(code)};
    if (auto prepared = std::move(prepared_)) {
        prepared(error);
        return;
    }
    if (auto done = std::move(auth_done_)) done(make_error(error.message), error);
}

}  // namespace mb::session
