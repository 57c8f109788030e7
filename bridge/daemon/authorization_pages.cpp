// The /auth/ACCOUNT pages of the health endpoint (see authorization_pages.h).
#include "bridge/daemon/authorization_pages.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "bridge/health/health_router.h"
#include "bridge/oauth/interactive_authorization.h"
#include "protocol/oauth/authorization_request.h"
#include "protocol/oauth/form_encoding.h"

namespace mb::daemon {

namespace {

using Phase = oauth::AuthorizationState::Phase;
constexpr std::string_view kPrefix = "/auth/";

std::string html_escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

health::HttpResponse text_answer(int status, const std::string& message, bool json) {
    health::HttpResponse response;
    response.status = status;
    if (json) {
        response.content_type = "application/json";
        response.body = nlohmann::json{{"error", message}}.dump() + "\n";
    } else {
        response.body = message + "\n";
    }
    return response;
}

bool wants_json(const protocol::http::Request& request, std::string_view query) {
    auto format = protocol::oauth::query_value(query, "format");
    if (format && *format && **format == "json") return true;
    auto accept = request.header("Accept");
    return accept && accept->find("application/json") != std::string_view::npos;
}

std::string page_path(const std::string& account, const std::string& login) {
    return std::string(kPrefix) + protocol::oauth::percent_encode(account) +
           "?login=" + protocol::oauth::percent_encode(login);
}

// `admin`: the request carried the admin token, so it may see the prompt.
nlohmann::json state_json(const std::string& account, const std::string& login,
                          const std::optional<oauth::AuthorizationState>& state, bool admin) {
    nlohmann::json out{{"account", account}, {"login", login}};
    if (!state) {
        out["phase"] = "none";
        return out;
    }
    out["phase"] = oauth::phase_name(state->phase);
    out["flow"] = state->flow;
    if (state->phase == Phase::waiting_for_user && admin) {
        out["url"] = state->prompt.url;
        if (!state->prompt.user_code.empty()) out["user_code"] = state->prompt.user_code;
        if (!state->prompt.complete_url.empty()) out["complete_url"] = state->prompt.complete_url;
    }
    if (!state->message.empty()) out["message"] = state->message;
    return out;
}

std::string start_button(const std::string& account, const std::string& login,
                         std::string_view label) {
    return "<form method=\"post\" action=\"" + html_escaped(page_path(account, login)) +
           "\"><button type=\"submit\">" + std::string(label) + "</button></form>";
}

std::string state_html(const config::AccountSettings& account, const std::string& login,
                       const std::optional<oauth::AuthorizationState>& state, bool admin) {
    const bool running =
        state && (state->phase == Phase::starting || state->phase == Phase::waiting_for_user);
    std::string body;
    if (!state) {
        body =
            "<p>No authorization was started from this page yet. Starting one needs the admin "
            "token: POST here with <code>Authorization: Bearer</code> and [daemon] "
            "admin_token (see the README).</p>" +
            start_button(account.name, login, "Authorize " + html_escaped(login));
    } else if (state->phase == Phase::starting) {
        body = "<p>Starting the sign-in…</p>";
    } else if (state->phase == Phase::waiting_for_user && !admin) {
        body =
            "<p>Waiting for the sign-in. The sign-in link and code are shown only with the admin "
            "token (Authorization: Bearer).</p>";
    } else if (state->phase == Phase::waiting_for_user && state->prompt.user_code.empty()) {
        body = "<p><a href=\"" + html_escaped(state->prompt.url) + "\">Sign in as " +
               html_escaped(login) + "</a>.</p><p>Afterwards the provider sends your browser to " +
               html_escaped(account.redirect_uri) +
               " on the machine running mailbridge; through an SSH tunnel, forward that port "
               "too.</p>";
    } else if (state->phase == Phase::waiting_for_user) {
        body = "<p>Open <a href=\"" + html_escaped(state->prompt.url) + "\">" +
               html_escaped(state->prompt.url) + "</a> and enter the code <strong>" +
               html_escaped(state->prompt.user_code) + "</strong>.</p>";
        if (!state->prompt.complete_url.empty())
            body += "<p>Or open <a href=\"" + html_escaped(state->prompt.complete_url) + "\">" +
                    html_escaped(state->prompt.complete_url) + "</a>.</p>";
    } else if (state->phase == Phase::authorized) {
        body = "<p>" + html_escaped(state->message) + "</p>";
    } else {
        body = "<p>The authorization failed: " + html_escaped(state->message) + "</p>" +
               start_button(account.name, login, "Try again");
    }
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>mailbridge: authorize " +
           html_escaped(account.name) + "</title>" +
           (running ? "<meta http-equiv=\"refresh\" content=\"3\">" : "") +
           "</head><body style=\"font-family:sans-serif;margin:3em\"><h1>Authorize " +
           html_escaped(login) + " for account " + html_escaped(account.name) + "</h1>" + body +
           "</body></html>";
}

}  // namespace

health::HttpResponse AuthorizationPages::answer(const protocol::http::Request& request,
                                                const health::AllowedHosts& hosts) {
    health::HttpResponse response = answer_unframed(request, hosts);
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'self'; style-src 'unsafe-inline'; "
                                  "frame-ancestors 'none'");
    response.headers.emplace_back("X-Frame-Options", "DENY");
    return response;
}

health::HttpResponse AuthorizationPages::answer_unframed(const protocol::http::Request& request,
                                                         const health::AllowedHosts& hosts) {
    const std::string_view target = request.target;
    const std::size_t question = target.find('?');
    const std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    const bool json = wants_json(request, query);
    const std::string_view path = health::target_path(target);
    auto account_name = protocol::oauth::percent_decode(path.substr(kPrefix.size()));
    if (!account_name || account_name->empty() || account_name->find('/') != std::string::npos)
        return text_answer(404, "name an account: /auth/ACCOUNT", json);
    auto login_param = protocol::oauth::query_value(query, "login");
    if (!login_param) return text_answer(400, "bad query: " + login_param.error().message, json);

    auto config = config_();
    const config::AccountSettings* account = config ? config->find_account(*account_name) : nullptr;
    if (!account)
        return text_answer(404, "no account named \"" + *account_name + "\" is configured", json);
    auto login = oauth::interactive_login(*account, *login_param);
    if (!login) {
        const bool usage = account->auth == config::AccountAuth::oauth2 &&
                           account->flow != config::Flow::client_credentials;
        return text_answer(usage ? 400 : 409,
                           login.error().message + (usage ? " (add ?login=USER)" : ""), json);
    }

    const bool admin = admin_.authorizes(request);
    if (request.method == "POST") {
        auto origin = request.header("Origin");
        if (origin && !hosts.allows_origin(*origin))
            return text_answer(403, "refused: this request came from another site's page", json);
        if (!admin) return admin_.refusal(json);
        auto state = runner_.start(config, *account, *login);
        if (!state) {
            health::HttpResponse response = text_answer(429, state.error().message, json);
            response.headers.emplace_back("Retry-After", "30");
            return response;
        }
        if (json) {
            health::HttpResponse response;
            response.status = 202;
            response.content_type = "application/json";
            response.body = state_json(account->name, *login, *state, admin).dump() + "\n";
            return response;
        }
        health::HttpResponse response;
        response.status = 303;
        response.headers.emplace_back("Location", page_path(account->name, *login));
        response.body = "started; see " + page_path(account->name, *login) + "\n";
        return response;
    }

    auto state = runner_.state(account->name, *login);
    health::HttpResponse response;
    if (json) {
        response.content_type = "application/json";
        response.body = state_json(account->name, *login, state, admin).dump() + "\n";
    } else {
        response.content_type = "text/html; charset=utf-8";
        response.body = state_html(*account, *login, state, admin);
    }
    return response;
}

}  // namespace mb::daemon
