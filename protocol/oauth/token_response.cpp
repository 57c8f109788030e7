// Token endpoint answer parsing (see token_response.h).
#include "protocol/oauth/token_response.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "protocol/oauth/bounded_json.h"

namespace mb::protocol::oauth {
namespace {

constexpr std::string_view kWhat = "token response";

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

Error bad_member(std::string_view name, std::string_view problem) {
    return make_error(std::string(kWhat) + ": \"" + std::string(name) + "\" " +
                      std::string(problem));
}

// expires_in as a number (integral, non-negative) or a string of 1-12 digits.
Result<std::chrono::seconds> parse_expires_in(const nlohmann::json& value) {
    constexpr auto max = kMaxExpiresIn.count();
    if (value.is_number_unsigned()) {
        auto n = value.get<std::uint64_t>();
        return std::chrono::seconds(std::min<std::uint64_t>(n, max));
    }
    if (value.is_number_integer()) {
        auto n = value.get<std::int64_t>();
        if (n < 0) return bad_member("expires_in", "is negative");
        return std::chrono::seconds(std::min<std::int64_t>(n, max));
    }
    if (value.is_number_float()) {
        double n = value.get<double>();
        if (!std::isfinite(n) || n < 0 || n != std::floor(n))
            return bad_member("expires_in", "is not a whole number of seconds");
        return std::chrono::seconds(static_cast<std::int64_t>(std::min<double>(n, max)));
    }
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text.empty() || text.size() > 12 ||
            !std::all_of(text.begin(), text.end(),
                         [](unsigned char c) { return std::isdigit(c) != 0; }))
            return bad_member("expires_in", "is not a number of seconds");
        return std::chrono::seconds(std::min<std::int64_t>(std::stoll(text), max));
    }
    return bad_member("expires_in", "is not a number of seconds");
}

Result<TokenResponse> parse_error_reply(const nlohmann::json& object) {
    const auto& error = object["error"];
    if (!error.is_string() || error.get_ref<const std::string&>().empty())
        return bad_member("error", "is not a non-empty string");
    TokenErrorReply reply;
    reply.error = error.get<std::string>();
    auto description = optional_string_member(object, "error_description", kWhat);
    if (!description) return description.error();
    auto uri = optional_string_member(object, "error_uri", kWhat);
    if (!uri) return uri.error();
    reply.description = description->value_or("");
    reply.uri = uri->value_or("");
    return TokenResponse{std::move(reply)};
}

Result<TokenResponse> parse_grant(const nlohmann::json& object) {
    TokenGrant grant;
    auto access_token = optional_string_member(object, "access_token", kWhat);
    if (!access_token) return access_token.error();
    if (!access_token->has_value() || (*access_token)->empty())
        return bad_member("access_token", "is missing or empty");
    grant.access_token = Secret(std::move(**access_token));

    auto token_type = optional_string_member(object, "token_type", kWhat);
    if (!token_type) return token_type.error();
    if (!token_type->has_value()) return bad_member("token_type", "is missing");
    if (!equals_ignoring_case(**token_type, "Bearer"))
        return make_error(std::string(kWhat) + ": token_type \"" + (*token_type)->substr(0, 32) +
                          "\" is not Bearer; mail servers accept only Bearer tokens");
    grant.token_type = std::move(**token_type);

    auto expires_in = object.find("expires_in");
    if (expires_in == object.end() || expires_in->is_null()) {
        grant.expires_in_defaulted = true;
    } else {
        auto seconds = parse_expires_in(*expires_in);
        if (!seconds) return seconds.error();
        grant.expires_in = *seconds;
    }

    auto refresh_token = optional_string_member(object, "refresh_token", kWhat);
    if (!refresh_token) return refresh_token.error();
    if (refresh_token->has_value() && !(*refresh_token)->empty())
        grant.refresh_token = Secret(std::move(**refresh_token));

    auto scope = optional_string_member(object, "scope", kWhat);
    if (!scope) return scope.error();
    grant.scope = std::move(*scope);

    auto id_token = optional_string_member(object, "id_token", kWhat);
    if (!id_token) return id_token.error();
    if (id_token->has_value() && !(*id_token)->empty())
        grant.id_token = Secret(std::move(**id_token));
    return TokenResponse{std::move(grant)};
}

}  // namespace

Result<TokenResponse> parse_token_response(std::string_view body) {
    auto object = parse_bounded_json_object(body, kWhat);
    if (!object) return object.error();
    if (object->contains("error")) return parse_error_reply(*object);
    return parse_grant(*object);
}

}  // namespace mb::protocol::oauth
