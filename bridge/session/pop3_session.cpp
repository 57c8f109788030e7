// The POP3 session's hand-over to the relay after the pre-login dialogue's login.
#include "bridge/session/pop3_session.h"

#include "bridge/session/pop3_relay_filters.h"
#include "bridge/session/pop3_relay_trace.h"
#include "bridge/session/pop3_upstream.h"
#include "bridge/session/upstream_settings.h"
#include "protocol/pop3/limits.h"
#include "protocol/pop3/response_builder.h"

namespace mb::session {
namespace pop3 = protocol::pop3;
using pop3::ResponseCode;

namespace {

std::unique_ptr<UpstreamClient> make_pop3_upstream(const SessionServices& services,
                                                   const config::AccountSettings* account) {
    return std::make_unique<Pop3Upstream>(
        services.loop, upstream_settings(services),
        account ? account->sasl : config::SaslMechanism::auto_select);
}

}  // namespace

Pop3Session::Pop3Session(std::shared_ptr<const SessionServices> services,
                         std::unique_ptr<net::ByteStream> client, SessionHost& host)
    : ClientSession(services, std::move(client), host,
                    [services](const config::AccountSettings* account) {
                        return make_pop3_upstream(*services, account);
                    }),
      dialogue_({.starttls_offered = listener_offers_starttls(*services),
                 .max_input = 4 * pop3::limits::kMaxAuthLine}) {}

std::string Pop3Session::goodbye(std::string_view reason) {
    return pop3::err_response(ResponseCode::SysTemp, "mailbridge: " + std::string(reason));
}

void Pop3Session::on_logged_in(LoginSuccess success, std::string answer, std::string pipelined) {
    auto filters = std::make_shared<Pop3RelayFilters>();
    auto [from_client, from_upstream] = Pop3RelayFilters::make(filters);
    RelaySetup setup;
    setup.client_filter = std::move(from_client);
    setup.upstream_filter = std::move(from_upstream);
    if (relay_trace_enabled()) {
        auto trace =
            std::make_shared<Pop3RelayTrace>(RelayTraceLog(services().server->name, peer()));
        trace->client_bytes(pipelined);
        setup.client_filter =
            observed_filter(std::move(setup.client_filter),
                            [trace](std::string_view bytes) { trace->client_bytes(bytes); });
        setup.upstream_filter =
            observed_filter(std::move(setup.upstream_filter),
                            [trace](std::string_view bytes) { trace->upstream_bytes(bytes); });
    }
    setup.on_upstream_closed = [this, filters](const net::CloseReason& reason) {
        if (filters->client_quit()) return std::string();
        return goodbye("the upstream server closed the connection" +
                       (reason.message.empty() ? std::string() : " (" + reason.message + ")"));
    };
    // The client's pipelined commands go upstream through the filter's tracking too.
    std::string to_upstream;
    if (!pipelined.empty()) filters->from_client(pipelined, to_upstream);
    start_relay(std::move(success), std::move(answer), to_upstream, std::move(setup));
}

}  // namespace mb::session
