// Device authorization parsing and poll verdicts (see device_authorization.h).
#include "protocol/oauth/device_authorization.h"

#include "protocol/oauth/bounded_json.h"

namespace mb::protocol::oauth {

namespace {

constexpr std::string_view kWhat = "device authorization response";

Result<std::optional<std::int64_t>> optional_seconds(const nlohmann::json& object,
                                                     std::string_view name) {
    auto found = object.find(std::string(name));
    if (found == object.end() || found->is_null()) return std::optional<std::int64_t>();
    if (found->is_number_integer() && found->get<std::int64_t>() > 0)
        return std::optional<std::int64_t>(found->get<std::int64_t>());
    if (found->is_string()) {
        const auto text = found->get<std::string>();
        if (!text.empty() && text.size() < 10 &&
            text.find_first_not_of("0123456789") == std::string::npos && std::stoll(text) > 0)
            return std::optional<std::int64_t>(std::stoll(text));
    }
    return make_error(std::string(kWhat) + ": " + std::string(name) +
                      " is not a positive number of seconds");
}

Result<std::string> required_string(const nlohmann::json& object, std::string_view name) {
    auto value = optional_string_member(object, name, kWhat);
    if (!value) return value.error();
    if (!*value || (*value)->empty())
        return make_error(std::string(kWhat) + " has no " + std::string(name));
    return std::move(**value);
}

}  // namespace

Result<DeviceAuthorization> parse_device_authorization(std::string_view body) {
    auto object = parse_bounded_json_object(body, kWhat);
    if (!object) return object.error();
    DeviceAuthorization out;
    auto device_code = required_string(*object, "device_code");
    if (!device_code) return device_code.error();
    out.device_code = Secret(std::move(*device_code));
    auto user_code = required_string(*object, "user_code");
    if (!user_code) return user_code.error();
    out.user_code = std::move(*user_code);
    auto uri = required_string(
        *object, object->contains("verification_uri") ? "verification_uri" : "verification_url");
    if (!uri) return make_error(std::string(kWhat) + " has no verification_uri");
    out.verification_uri = std::move(*uri);
    auto complete = optional_string_member(*object, "verification_uri_complete", kWhat);
    if (!complete) return complete.error();
    if (*complete) out.verification_uri_complete = std::move(**complete);
    auto expires = optional_seconds(*object, "expires_in");
    if (!expires) return expires.error();
    if (!*expires) return make_error(std::string(kWhat) + " has no expires_in");
    out.expires_in = std::chrono::seconds(**expires);
    auto interval = optional_seconds(*object, "interval");
    if (!interval) return interval.error();
    if (*interval) out.interval = std::chrono::seconds(**interval);
    return out;
}

DevicePollOutcome interpret_device_poll_error(std::string_view error,
                                              std::string_view description) {
    if (error == "authorization_pending") return {DevicePollVerdict::pending, ""};
    if (error == "slow_down") return {DevicePollVerdict::slow_down, ""};
    std::string detail;
    for (unsigned char c : description.substr(0, 200))
        detail.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    detail = detail.empty() ? "" : " (" + detail + ")";
    if (error == "expired_token")
        return {DevicePollVerdict::stop, "the device code expired before the user approved it" +
                                             detail +
                                             " — run the command again and approve sooner"};
    if (error == "access_denied")
        return {DevicePollVerdict::stop, "the user denied the authorization request" + detail};
    std::string code;
    for (unsigned char c : error.substr(0, 100))
        code.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    return {DevicePollVerdict::stop,
            "the token endpoint refused the device code: " + code + detail};
}

}  // namespace mb::protocol::oauth
