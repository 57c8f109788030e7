// Authorization URL and redirect parsing (see authorization_request.h).
#include "protocol/oauth/authorization_request.h"

#include <openssl/crypto.h>

#include <optional>

#include "protocol/oauth/form_encoding.h"

namespace mb::protocol::oauth {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Control characters of a server's text replaced, cut to a readable length.
std::string printable(std::string_view text) {
    std::string out;
    for (unsigned char c : text.substr(0, 200))
        out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    return out;
}

}  // namespace

std::string authorization_url(const AuthorizationRequest& request) {
    std::string scope;
    for (const auto& s : request.scopes) {
        if (!scope.empty()) scope.push_back(' ');
        scope += s;
    }
    std::string url = request.endpoint;
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "response_type=code&client_id=" + percent_encode(request.client_id) +
           "&redirect_uri=" + percent_encode(request.redirect_uri);
    if (!scope.empty()) url += "&scope=" + percent_encode(scope);
    url += "&state=" + percent_encode(request.state) +
           "&code_challenge=" + percent_encode(request.code_challenge) +
           "&code_challenge_method=S256&prompt=consent";
    if (!request.login_hint.empty()) url += "&login_hint=" + percent_encode(request.login_hint);
    return url;
}

Result<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out.push_back(' ');
        } else if (text[i] == '%') {
            if (i + 2 >= text.size()) return make_error("a broken %-escape in the redirect");
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) return make_error("a broken %-escape in the redirect");
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

Result<std::optional<std::string>> query_value(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        const auto eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq));
        if (!key) return key.error();
        if (*key != name) continue;
        auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (!value) return value.error();
        return std::optional<std::string>(std::move(*value));
    }
    return std::optional<std::string>();
}

bool redirect_is_for(std::string_view query, std::string_view expected_state) {
    auto state = query_value(query, "state");
    if (!state || !*state || expected_state.empty() || (*state)->size() != expected_state.size())
        return false;
    return CRYPTO_memcmp((*state)->data(), expected_state.data(), expected_state.size()) == 0;
}

Result<Secret> code_from_redirect(std::string_view query, std::string_view expected_state) {
    if (auto state = query_value(query, "state"); !state) return state.error();
    if (!redirect_is_for(query, expected_state))
        return make_error(
            "the redirect carries a different state than the request — it was not the answer to "
            "this authorization (possible forgery); run the command again");
    auto error = query_value(query, "error");
    if (!error) return error.error();
    if (*error) {
        auto description = query_value(query, "error_description");
        std::string text = "the authorization server refused: " + printable(**error);
        if (description && *description) text += " (" + printable(**description) + ")";
        return make_error(text);
    }
    auto code = query_value(query, "code");
    if (!code) return code.error();
    if (!*code || (*code)->empty()) return make_error("the redirect carries no authorization code");
    return Secret(std::move(**code));
}

}  // namespace mb::protocol::oauth
