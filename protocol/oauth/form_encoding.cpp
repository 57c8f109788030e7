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

Secret client_credentials_form(std::string_view client_id, const Secret& client_secret,
                               const std::vector<std::string>& scopes) {
    std::string scope;
    for (const auto& s : scopes) {
        if (!scope.empty()) scope.push_back(' ');
        scope += s;
    }
    std::vector<FormField> fields{{"grant_type", "client_credentials"}, {"client_id", client_id}};
    if (!client_secret.empty()) fields.push_back({"client_secret", client_secret.reveal()});
    if (!scope.empty()) fields.push_back({"scope", scope});
    return form_encode(fields);
}

}  // namespace mb::protocol::oauth
