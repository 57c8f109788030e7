// The authorization code and device flows (see interactive_flows.h).
#include "bridge/oauth/interactive_flows.h"

#include <openssl/rand.h>

#include <algorithm>
#include <thread>

#include "bridge/oauth/blocking_http.h"
#include "bridge/oauth/loopback_redirect.h"
#include "bridge/oauth/token_endpoint_answer.h"
#include "protocol/oauth/authorization_request.h"
#include "protocol/oauth/device_authorization.h"
#include "protocol/oauth/discovery.h"
#include "protocol/oauth/form_encoding.h"
#include "protocol/oauth/pkce.h"

namespace mb::oauth {

namespace {

namespace po = protocol::oauth;
using Clock = std::chrono::steady_clock;

HttpRequest request_to(const InteractiveClient& client, std::string url) {
    HttpRequest request;
    request.url = std::move(url);
    request.connect_timeout = client.connect_timeout;
    request.total_timeout = client.request_timeout;
    request.proxy = client.proxy;
    return request;
}

HttpResult post_form(const InteractiveClient& client, const std::string& url, Secret body) {
    HttpRequest request = request_to(client, url);
    request.post = true;
    request.body = std::move(body);
    return fetch_blocking(std::move(request));
}

std::string html_page(const std::string& title, const std::string& text) {
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>mailbridge</title></head>"
           "<body style=\"font-family:sans-serif;margin:3em\"><h1>" +
           title + "</h1><p>" + text + "</p></body></html>";
}

bool cancelled(const FlowIo& io) {
    return io.cancelled && io.cancelled();
}

void sleep_for(const FlowIo& io, std::chrono::seconds delay) {
    if (io.sleep) {
        io.sleep(delay);
        return;
    }
    const auto until = Clock::now() + delay;
    while (!cancelled(io) && Clock::now() < until)
        std::this_thread::sleep_for(
            std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(200)));
}

Error cancelled_error() {
    return make_error("the authorization was cancelled (mailbridge is stopping or reloading)");
}

}  // namespace

Result<std::string> random_bytes(std::size_t count) {
    std::string raw(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1)
        return make_error("the OpenSSL random generator failed");
    return raw;
}

Result<InteractiveEndpoints> resolve_interactive_endpoints(const InteractiveClient& client) {
    auto endpoints = plan_interactive_endpoints(*client.account);
    if (!endpoints) return endpoints.error();
    if (endpoints->discovery_url.empty()) return endpoints;
    auto answer = fetch_blocking(request_to(client, endpoints->discovery_url));
    if (!answer.ok())
        return make_error(
            transport_failure_message(answer, "discovery document", endpoints->discovery_url));
    if (answer.status != 200)
        return make_error("discovery document " + endpoints->discovery_url + " answered HTTP " +
                          std::to_string(answer.status) + " — check issuer");
    auto document = po::parse_discovery(answer.body, endpoints->issuer);
    if (!document)
        return make_error("discovery document " + endpoints->discovery_url + ": " +
                          document.error().message);
    complete_from_discovery(*endpoints, *document);
    if (auto checked = check_interactive_endpoints(*client.account, *endpoints); !checked)
        return checked.error();
    return endpoints;
}

Result<po::TokenGrant> run_authorization_code(const InteractiveClient& client,
                                              const InteractiveEndpoints& endpoints,
                                              const FlowIo& io) {
    const auto& account = *client.account;
    auto listener = RedirectListener::open(account.redirect_uri);
    if (!listener) return make_error("account " + account.name + ": " + listener.error().message);
    auto state_bytes = random_bytes(24);
    auto verifier_bytes = random_bytes(32);
    if (!state_bytes || !verifier_bytes)
        return make_error(
            "cannot make random values for the request: the OpenSSL random "
            "generator failed");
    const std::string state = po::base64url(*state_bytes);
    auto pkce = po::make_pkce(*verifier_bytes);
    po::AuthorizationRequest request;
    request.endpoint = endpoints.authorization;
    request.client_id = account.client_id;
    request.redirect_uri = listener->redirect_uri();
    request.scopes = scopes_for(account);
    request.state = state;
    request.code_challenge = pkce.challenge;
    request.login_hint = client.identity;
    const std::string url = po::authorization_url(request);
    if (io.out)
        *io.out << "Open this URL in a browser and sign in as " << client.login << ":\n\n"
                << url << "\n\nWaiting for the redirect to " << listener->redirect_uri() << " ("
                << std::chrono::duration_cast<std::chrono::seconds>(io.redirect_timeout).count()
                << " s)...\n"
                << std::flush;
    if (io.prompt) io.prompt(FlowPrompt{url, "", ""});
    if (io.open_browser) io.open_browser(url);

    std::optional<Result<Secret>> code;
    auto query = listener->wait(
        io.redirect_timeout,
        [&](const std::string& q) {
            if (!po::redirect_is_for(q, state))
                return RedirectVerdict{
                    false, html_page("Not this sign-in",
                                     "This answer does not belong to the sign-in mailbridge is "
                                     "waiting for (its state differs); mailbridge keeps "
                                     "waiting. Open the sign-in URL mailbridge showed.")};
            code.emplace(po::code_from_redirect(q, state));
            if (*code)
                return RedirectVerdict{
                    true, html_page("Authorization received",
                                    "mailbridge is finishing the sign-in; you may close this "
                                    "window.")};
            return RedirectVerdict{
                true, html_page("Authorization failed",
                                "mailbridge could not use this answer; see the terminal for "
                                "details.")};
        },
        io.cancelled);
    if (!query) return query.error();
    if (!*code) return code->error();

    auto answer = post_form(
        client, endpoints.token,
        po::authorization_code_form(account.client_id, client.client_secret, code->value(),
                                    listener->redirect_uri(), pkce.verifier));
    auto outcome = interpret_token_answer(answer, endpoints.token, "authorization_code");
    if (!outcome.grant) return make_error(outcome.message);
    return std::move(*outcome.grant);
}

Result<po::TokenGrant> run_device_code(const InteractiveClient& client,
                                       const InteractiveEndpoints& endpoints, const FlowIo& io) {
    const auto& account = *client.account;
    auto started = post_form(client, endpoints.device_authorization,
                             po::device_authorization_form(account.client_id, client.client_secret,
                                                           scopes_for(account)));
    if (!started.ok())
        return make_error(transport_failure_message(started, "device authorization endpoint",
                                                    endpoints.device_authorization));
    if (started.status != 200) {
        auto refused =
            interpret_token_answer(started, endpoints.device_authorization, "device_code");
        return make_error("device authorization endpoint " + endpoints.device_authorization +
                          " refused the request: HTTP " + std::to_string(started.status) +
                          (refused.error.empty() ? "" : " (" + refused.error + ")") +
                          " — check client_id, scopes and device_authorization_endpoint");
    }
    auto device = po::parse_device_authorization(started.body);
    if (!device) return device.error();
    if (io.out) {
        *io.out << "To sign in as " << client.login << ", open " << device->verification_uri
                << " and enter the code " << device->user_code << "\n";
        if (!device->verification_uri_complete.empty())
            *io.out << "(or open " << device->verification_uri_complete << ")\n";
        *io.out << "Waiting for the approval (" << device->expires_in.count() << " s)...\n"
                << std::flush;
    }
    if (io.prompt)
        io.prompt(FlowPrompt{device->verification_uri, device->user_code,
                             device->verification_uri_complete});

    const auto deadline = Clock::now() + device->expires_in;
    auto interval = device->interval;
    for (;;) {
        sleep_for(io, interval);
        if (cancelled(io)) return cancelled_error();
        if (Clock::now() >= deadline)
            return make_error(
                "the device code expired before the user approved it — run the command again");
        auto answer = post_form(
            client, endpoints.token,
            po::device_code_form(account.client_id, client.client_secret, device->device_code));
        auto outcome = interpret_token_answer(answer, endpoints.token, "device_code");
        if (outcome.grant) return std::move(*outcome.grant);
        if (outcome.transient) continue;
        if (outcome.error.empty()) return make_error(outcome.message);
        const auto description = po::parse_token_response(answer.body);
        std::string text;
        if (description && std::holds_alternative<po::TokenErrorReply>(*description))
            text = std::get<po::TokenErrorReply>(*description).description;
        auto verdict = po::interpret_device_poll_error(outcome.error, text);
        if (verdict.verdict == po::DevicePollVerdict::pending) continue;
        if (verdict.verdict == po::DevicePollVerdict::slow_down) {
            interval += po::kSlowDownStep;
            continue;
        }
        return make_error(verdict.message);
    }
}

}  // namespace mb::oauth
