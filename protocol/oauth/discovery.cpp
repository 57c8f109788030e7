// OpenID discovery document parsing (see discovery.h).
#include "protocol/oauth/discovery.h"

#include "protocol/oauth/bounded_json.h"
#include "protocol/oauth/endpoint_url.h"

namespace mb::protocol::oauth {
namespace {

constexpr std::string_view kWhat = "discovery document";

// An optional endpoint member: absent → "", present → must be a valid endpoint URL.
Result<std::string> endpoint_member(const nlohmann::json& object, std::string_view name,
                                    bool required) {
    auto value = optional_string_member(object, name, kWhat);
    if (!value) return value.error();
    std::string what = std::string(kWhat) + " " + std::string(name);
    if (!value->has_value() || (*value)->empty()) {
        if (required) return make_error(what + " is missing");
        return std::string();
    }
    if (auto checked = check_endpoint_url(**value, what); !checked) return checked.error();
    return std::move(**value);
}

}  // namespace

std::string discovery_url(std::string_view issuer) {
    if (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
    return std::string(issuer) + "/.well-known/openid-configuration";
}

Result<DiscoveryDocument> parse_discovery(std::string_view body, std::string_view expected_issuer) {
    auto object = parse_bounded_json_object(body, kWhat);
    if (!object) return object.error();
    auto issuer = optional_string_member(*object, "issuer", kWhat);
    if (!issuer) return issuer.error();
    if (!issuer->has_value()) return make_error(std::string(kWhat) + " has no issuer");
    if (**issuer != expected_issuer)
        return make_error(std::string(kWhat) + " names issuer \"" + (*issuer)->substr(0, 200) +
                          "\", not the configured \"" + std::string(expected_issuer) +
                          "\"; set issuer to exactly the server's issuer");
    DiscoveryDocument document;
    document.issuer = std::move(**issuer);
    auto token = endpoint_member(*object, "token_endpoint", true);
    if (!token) return token.error();
    auto authorization = endpoint_member(*object, "authorization_endpoint", false);
    if (!authorization) return authorization.error();
    auto device = endpoint_member(*object, "device_authorization_endpoint", false);
    if (!device) return device.error();
    document.token_endpoint = std::move(*token);
    document.authorization_endpoint = std::move(*authorization);
    document.device_authorization_endpoint = std::move(*device);
    auto userinfo = endpoint_member(*object, "userinfo_endpoint", false);
    if (!userinfo) return userinfo.error();
    document.userinfo_endpoint = std::move(*userinfo);
    return document;
}

}  // namespace mb::protocol::oauth
