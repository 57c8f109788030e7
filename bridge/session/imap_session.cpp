// The IMAP session's hand-over to the relay after the pre-login dialogue's login.
#include "bridge/session/imap_session.h"

#include "bridge/session/imap_cache_observer.h"
#include "bridge/session/imap_command_filter.h"
#include "bridge/session/imap_relay_trace.h"
#include "bridge/session/imap_response_filter.h"
#include "bridge/session/imap_upstream.h"
#include "bridge/session/upstream_settings.h"
#include "protocol/imap/response_builder.h"
#include "protocol/limits.h"
#include "store/cache_writer.h"

namespace mb::session {
namespace imap = protocol::imap;

namespace {

std::unique_ptr<UpstreamClient> make_imap_upstream(const SessionServices& services,
                                                   const config::AccountSettings* account) {
    return std::make_unique<ImapUpstream>(
        services.loop, upstream_settings(services),
        account ? account->sasl : config::SaslMechanism::auto_select);
}

}  // namespace

ImapSession::ImapSession(std::shared_ptr<const SessionServices> services,
                         std::unique_ptr<net::ByteStream> client, SessionHost& host)
    : ClientSession(services, std::move(client), host,
                    [services](const config::AccountSettings* account) {
                        return make_imap_upstream(*services, account);
                    }),
      dialogue_({.starttls_offered = listener_offers_starttls(*services),
                 .max_input = 2 * protocol::limits::kMaxPreAuthCommand,
                 .max_command = protocol::limits::kMaxPreAuthCommand}) {}

std::string ImapSession::goodbye(std::string_view reason) {
    return imap::bye_response("mailbridge: " + std::string(reason));
}

void ImapSession::on_logged_in(LoginSuccess success, std::string line, std::string pipelined) {
    RelaySetup setup;
    auto responses = std::make_shared<ImapResponseFilter>([this] { upstream_said_bye_ = true; });
    setup.upstream_filter = ImapResponseFilter::wrap(responses);
    // The client's commands are framed once, for the cache, the trace and the LOGOUT decision.
    auto commands = std::make_shared<ImapCommandFilter>();
    responses->observe(
        [commands](const imap::StreamEvent& event) { commands->upstream_event(event); });
    if (store::CacheWriter* cache = services().cache; cache && success.account) {
        auto observer = std::make_shared<ImapCacheObserver>(
            store::Owner{success.account->name, success.login},
            [cache](store::CacheUpdate update) { return cache->try_submit(std::move(update)); },
            ImapCacheObserver::Options{}, [cache] { return cache->generation(); });
        commands->observe(
            [observer](const imap::StreamEvent& event) { observer->client_event(event); });
        responses->observe(
            [observer](const imap::StreamEvent& event) { observer->upstream_event(event); });
    }
    if (relay_trace_enabled()) {
        auto trace =
            std::make_shared<ImapRelayTrace>(RelayTraceLog(services().server->name, peer()));
        commands->observe([trace](const imap::StreamEvent& event) { trace->client_event(event); });
        responses->observe(
            [trace](const imap::StreamEvent& event) { trace->upstream_event(event); });
    }
    commands->feed(pipelined);
    setup.client_filter = ImapCommandFilter::wrap(commands);
    // LOGOUT upstream for a client that vanished, only where a new command may start.
    setup.on_client_closed = [this, commands] {
        if (upstream_said_bye_ || !commands->at_command_boundary()) return std::string();
        return std::string("mbye LOGOUT\r\n");
    };
    setup.on_upstream_closed = [this, responses](const net::CloseReason& reason) {
        // Cut inside a response (a partial line was held back, or inside a literal): any text
        // added now would become part of that response, so the client just sees the close.
        if (upstream_said_bye_ || !responses->client_at_boundary()) return std::string();
        return goodbye("the upstream server closed the connection" +
                       (reason.message.empty() ? std::string() : " (" + reason.message + ")"));
    };
    start_relay(std::move(success), std::move(line), pipelined, std::move(setup));
}

}  // namespace mb::session
