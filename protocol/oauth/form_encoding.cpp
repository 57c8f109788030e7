// Form encoding (see form_encoding.h).
#include "protocol/oauth/form_encoding.h"

namespace mb::protocol::oauth {
namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void append_encoded(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : text) {
        if (is_unreserved(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0f]);
        }
    }
}

}  // namespace

std::string percent_encode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_encoded(out, text);
    return out;
}

Secret form_encode(std::span<const FormField> fields) {
    std::size_t size = 0;
    for (const auto& field : fields) size += 3 * (field.name.size() + field.value.size()) + 2;
    std::string body;
    body.reserve(size);  // no reallocation leaves unwiped copies of the secret behind
    for (const auto& field : fields) {
        if (!body.empty()) body.push_back('&');
        append_encoded(body, field.name);
        body.push_back('=');
        append_encoded(body, field.value);
    }
    return Secret(std::move(body));
}

namespace {

std::string join_scopes(const std::vector<std::string>& scopes) {
    std::string scope;
    for (const auto& s : scopes) {
        if (!scope.empty()) scope.push_back(' ');
        scope += s;
    }
    return scope;
}

// grant_type and the grant's own fields, then client_id and client_secret (when not empty).
Secret grant_form(std::string_view grant_type, std::vector<FormField> fields,
                  std::string_view client_id, const Secret& client_secret) {
    fields.insert(fields.begin(), {"grant_type", grant_type});
    fields.push_back({"client_id", client_id});
    if (!client_secret.empty()) fields.push_back({"client_secret", client_secret.reveal()});
    return form_encode(fields);
}

}  // namespace

Secret client_credentials_form(std::string_view client_id, const Secret& client_secret,
                               const std::vector<std::string>& scopes) {
    const std::string scope = join_scopes(scopes);
    std::vector<FormField> fields{{"grant_type", "client_credentials"}, {"client_id", client_id}};
    if (!client_secret.empty()) fields.push_back({"client_secret", client_secret.reveal()});
    if (!scope.empty()) fields.push_back({"scope", scope});
    return form_encode(fields);
}

Secret refresh_token_form(std::string_view client_id, const Secret& client_secret,
                          const Secret& refresh_token) {
    return grant_form("refresh_token", {{"refresh_token", refresh_token.reveal()}}, client_id,
                      client_secret);
}

Secret authorization_code_form(std::string_view client_id, const Secret& client_secret,
                               const Secret& code, std::string_view redirect_uri,
                               const Secret& code_verifier) {
    return grant_form("authorization_code",
                      {{"code", code.reveal()},
                       {"redirect_uri", redirect_uri},
                       {"code_verifier", code_verifier.reveal()}},
                      client_id, client_secret);
}

Secret device_code_form(std::string_view client_id, const Secret& client_secret,
                        const Secret& device_code) {
    return grant_form("urn:ietf:params:oauth:grant-type:device_code",
                      {{"device_code", device_code.reveal()}}, client_id, client_secret);
}

Secret device_authorization_form(std::string_view client_id, const Secret& client_secret,
                                 const std::vector<std::string>& scopes) {
    const std::string scope = join_scopes(scopes);
    std::vector<FormField> fields{{"client_id", client_id}};
    if (!client_secret.empty()) fields.push_back({"client_secret", client_secret.reveal()});
    if (!scope.empty()) fields.push_back({"scope", scope});
    return form_encode(fields);
}

}  // namespace mb::protocol::oauth
