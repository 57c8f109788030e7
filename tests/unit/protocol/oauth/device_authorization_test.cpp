// Tests for the device authorization response and poll verdicts (RFC 8628).
#include "protocol/oauth/device_authorization.h"

#include <gtest/gtest.h>

namespace po = mb::protocol::oauth;

TEST(DeviceAuthorization, FullAnswer) {
    auto parsed = po::parse_device_authorization(
        R"({"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://x/device",)"
        R"("verification_uri_complete":"https://x/device?user_code=WDJB-MJHT",)"
        R"("expires_in":1800,"interval":7})");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->device_code.reveal(), "dc");
    EXPECT_EQ(parsed->user_code, "WDJB-MJHT");
    EXPECT_EQ(parsed->verification_uri, "https://x/device");
    EXPECT_EQ(parsed->verification_uri_complete, "https://x/device?user_code=WDJB-MJHT");
    EXPECT_EQ(parsed->expires_in.count(), 1800);
    EXPECT_EQ(parsed->interval.count(), 7);
}

TEST(DeviceAuthorization, DefaultsAndMicrosoftSpelling) {
    auto parsed = po::parse_device_authorization(
        R"({"device_code":"dc","user_code":"U","verification_url":"https://m/devicelogin",)"
        R"("expires_in":"900"})");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->verification_uri, "https://m/devicelogin");
    EXPECT_EQ(parsed->interval, po::kDefaultDeviceInterval);
    EXPECT_EQ(parsed->verification_uri_complete, "");
}

TEST(DeviceAuthorization, HostileAnswers) {
    for (
        const char* body :
        {"", "[]", "{}", R"({"device_code":"dc","user_code":"U","expires_in":5})",
         R"({"device_code":"","user_code":"U","verification_uri":"v","expires_in":5})",
         R"({"device_code":1,"user_code":"U","verification_uri":"v","expires_in":5})",
         R"({"device_code":"d","user_code":"U","verification_uri":"v"})",
         R"({"device_code":"d","user_code":"U","verification_uri":"v","expires_in":-1})",
         R"({"device_code":"d","user_code":"U","verification_uri":"v","expires_in":5,"interval":0})",
         R"({"device_code":"d","user_code":"U","verification_uri":"v","expires_in":"9999999999"})"}) {
        auto parsed = po::parse_device_authorization(body);
        ASSERT_FALSE(parsed.ok()) << body;
        EXPECT_EQ(parsed.error().message.find("\"d\""), std::string::npos);
    }
}

TEST(DeviceAuthorization, PollVerdicts) {
    EXPECT_EQ(po::interpret_device_poll_error("authorization_pending", "").verdict,
              po::DevicePollVerdict::pending);
    EXPECT_EQ(po::interpret_device_poll_error("slow_down", "").verdict,
              po::DevicePollVerdict::slow_down);
    auto expired = po::interpret_device_poll_error("expired_token", "");
    EXPECT_EQ(expired.verdict, po::DevicePollVerdict::stop);
    EXPECT_NE(expired.message.find("expired"), std::string::npos);
    auto denied = po::interpret_device_poll_error("access_denied", "no\nway");
    EXPECT_EQ(denied.message, "the user denied the authorization request (no way)");
    auto other = po::interpret_device_poll_error("invalid_client", "");
    EXPECT_EQ(other.verdict, po::DevicePollVerdict::stop);
    EXPECT_NE(other.message.find("invalid_client"), std::string::npos);
}
