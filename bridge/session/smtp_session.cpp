// The SMTP session: carries out the pre-login dialogue's actions, runs the login and hands the
// connection over to the Relay with an SmtpRelayFilter.
#include "bridge/session/smtp_session.h"

#include "bridge/session/relay_trace.h"
#include "bridge/session/smtp_relay_trace.h"
#include "bridge/session/smtp_upstream.h"
#include "bridge/session/upstream_settings.h"
#include "protocol/smtp/reply_builder.h"

namespace mb::session {
namespace smtp = protocol::smtp;

namespace {

std::string host_name() {
    char name[256];
    std::size_t size = sizeof(name);
    if (uv_os_gethostname(name, &size) != 0 || size == 0) return "localhost";
    return std::string(name, size);
}

}  // namespace

SmtpSession::SmtpSession(std::shared_ptr<const SessionServices> services,
                         std::unique_ptr<net::ByteStream> client, SessionHost& host)
    : ClientSession(
          services, std::move(client), host,
          [this](const config::AccountSettings* account) { return make_upstream(account); }),
      domain_(host_name()),
      dialogue_({.domain = domain_,
                 .starttls_offered = listener_offers_starttls(*services),
                 .max_input = 4 * smtp::limits::kMaxAuthLine}),
      resume_timer_(services->loop) {}

std::unique_ptr<UpstreamClient> SmtpSession::make_upstream(const config::AccountSettings* account) {
    return std::make_unique<SmtpUpstream>(
        services().loop, upstream_settings(services()),
        account ? account->sasl : config::SaslMechanism::auto_select, domain_,
        [this](const std::optional<smtp::EhloCapabilities>& caps) {
            on_upstream_capabilities(caps);
        });
}

std::string SmtpSession::goodbye(std::string_view reason) {
    return smtp::reply(421, "4.3.2", "mailbridge: " + std::string(reason));
}

std::string SmtpSession::idle_goodbye(std::string_view what) {
    return smtp::reply(421, "4.4.2", "mailbridge: " + std::string(what));
}

void SmtpSession::on_started(bool upstream_dialing) {
    // Without an early dial, EHLO is answered with what the bridge itself handles (a later EHLO
    // shows the upstream's).
    if (!upstream_dialing) dialogue_.upstream_offer(std::nullopt);
}

void SmtpSession::on_upstream_capabilities(const std::optional<smtp::EhloCapabilities>& caps) {
    // Called from inside the upstream's read: answer a waiting EHLO from a later loop turn.
    if (dialogue_.upstream_offer(caps)) resume_soon();
}

void SmtpSession::resume_soon() {
    auto armed = resume_timer_.start(std::chrono::milliseconds(0), [this] {
        if (closing()) return;
        dialogue_.resume();
        run_actions();
    });
    if (!armed) close_client(goodbye("cannot schedule the EHLO answer: " + armed.error().message));
}

void SmtpSession::on_logged_in(LoginSuccess success, std::string answer, std::string pipelined) {
    resume_timer_.close();
    // The 235 first: replies the filter gives for pipelined commands must follow it.
    reply(std::move(answer));

    net::ByteStream* client = &client_stream();
    net::ByteStream* upstream = success.upstream.get();
    filter_ = std::make_shared<SmtpRelayFilter>(
        SmtpRelayFilter::Io{
            .write_client = [client](std::string_view bytes) { client->write(bytes); },
            .write_upstream = [upstream](std::string_view bytes) { upstream->write(bytes); },
            .client_queued_bytes = [client] { return client->queued_bytes(); },
            .abort_upstream =
                [upstream] {
                    upstream->abort({net::CloseCause::local, "the bridge dropped the connection"});
                },
        },
        SmtpRelayFilter::Options{.domain = domain_});
    std::shared_ptr<SmtpRelayTrace> trace;
    if (relay_trace_enabled()) {
        trace = std::make_shared<SmtpRelayTrace>(RelayTraceLog(services().server->name, peer()));
        trace->client_bytes(pipelined);
    }
    std::string to_upstream;
    if (!pipelined.empty()) filter_->from_client(pipelined, to_upstream);

    RelaySetup setup;
    auto [from_client, from_upstream] = SmtpRelayFilter::make(filter_);
    if (trace) {
        from_client = observed_filter(std::move(from_client), [trace](std::string_view bytes) {
            trace->client_bytes(bytes);
        });
        from_upstream = observed_filter(std::move(from_upstream), [trace](std::string_view bytes) {
            trace->upstream_bytes(bytes);
        });
    }
    setup.client_filter = std::move(from_client);
    setup.upstream_filter = std::move(from_upstream);
    setup.on_upstream_closed = [filter = filter_](const net::CloseReason&) {
        return filter->goodbye_on_upstream_close();
    };
    setup.on_client_closed = [filter = filter_] {
        return filter->at_command_boundary() ? std::string("QUIT\r\n") : std::string();
    };
    start_relay(std::move(success), std::string(), to_upstream, std::move(setup));
}

}  // namespace mb::session
