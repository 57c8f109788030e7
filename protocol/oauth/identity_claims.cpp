// id_token claims and the identity check (see identity_claims.h).
#include "protocol/oauth/identity_claims.h"

#include <algorithm>
#include <cctype>

#include "protocol/oauth/bounded_json.h"

namespace mb::protocol::oauth {
namespace {

constexpr std::string_view kWhat = "id_token";

int base64url_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

// Unpadded base64url (RFC 7515 2); a trailing "=" padding is tolerated.
Result<std::string> base64url_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return make_error("id_token: the payload is not base64url");
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned bits = 0;
    int count = 0;
    for (char c : text) {
        const int value = base64url_value(c);
        if (value < 0) return make_error("id_token: the payload is not base64url");
        bits = (bits << 6) | static_cast<unsigned>(value);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(static_cast<char>((bits >> count) & 0xff));
        }
    }
    return out;
}

Result<std::string> string_claim(const nlohmann::json& object, std::string_view name,
                                 std::string_view what) {
    auto value = optional_string_member(object, name, what);
    if (!value) return value.error();
    return value->value_or("");
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

Result<IdentityClaims> claims_of(std::string_view json, std::string_view what) {
    auto object = parse_bounded_json_object(json, what);
    if (!object) return object.error();

    IdentityClaims claims;
    for (auto [name, field] : {std::pair{"iss", &claims.issuer}, std::pair{"email", &claims.email},
                               std::pair{"preferred_username", &claims.preferred_username},
                               std::pair{"upn", &claims.upn}}) {
        auto value = string_claim(*object, name, what);
        if (!value) return value.error();
        *field = std::move(*value);
    }
    if (auto aud = object->find("aud"); aud != object->end() && !aud->is_null()) {
        if (aud->is_string()) {
            claims.audience.push_back(aud->get<std::string>());
        } else if (aud->is_array()) {
            for (const auto& entry : *aud) {
                if (!entry.is_string())
                    return make_error(std::string(what) + ": \"aud\" is not a string list");
                claims.audience.push_back(entry.get<std::string>());
            }
        } else {
            return make_error(std::string(what) + ": \"aud\" is not a string or a string list");
        }
    }
    return claims;
}

}  // namespace

Result<IdentityClaims> id_token_claims(std::string_view id_token) {
    const auto first = id_token.find('.');
    const auto second = first == std::string_view::npos ? first : id_token.find('.', first + 1);
    if (second == std::string_view::npos)
        return make_error("id_token: not a compact JWS (header.payload.signature)");
    if (id_token.find('.', second + 1) != std::string_view::npos)
        return make_error(
            "id_token: encrypted (JWE) id_tokens cannot be read — turn id_token encryption off "
            "for this client at the provider");
    auto payload = base64url_decode(id_token.substr(first + 1, second - first - 1));
    if (!payload) return payload.error();
    return claims_of(*payload, kWhat);
}

Result<IdentityClaims> userinfo_claims(std::string_view body) {
    return claims_of(body, "userinfo answer");
}

std::optional<std::string> named_identity(const IdentityClaims& claims) {
    for (const std::string* value : {&claims.email, &claims.preferred_username, &claims.upn})
        if (!value->empty()) return *value;
    return std::nullopt;
}

Result<std::optional<std::string>> check_identity(const IdentityClaims& claims,
                                                  std::string_view expected,
                                                  std::string_view issuer,
                                                  std::string_view client_id) {
    if (!issuer.empty() && !claims.issuer.empty() && claims.issuer != issuer)
        return make_error("the id_token was issued by " + claims.issuer.substr(0, 200) +
                          ", not by the configured issuer " + std::string(issuer) +
                          " — check issuer");
    if (!claims.audience.empty() && std::find(claims.audience.begin(), claims.audience.end(),
                                              client_id) == claims.audience.end())
        return make_error("the id_token was issued to another client than client_id " +
                          std::string(client_id) + " — check client_id");
    auto identity = named_identity(claims);
    if (identity && !same_ignoring_case(*identity, expected))
        return make_error("the provider signed in " + identity->substr(0, 200) +
                          ", but this authorization is for " + std::string(expected) +
                          " — sign out of the provider, sign in as " + std::string(expected) +
                          " and authorize again");
    return identity;
}

}  // namespace mb::protocol::oauth
