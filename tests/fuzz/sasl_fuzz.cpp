// Fuzz target for protocol/sasl: the strict base64 decoder (anything it accepts must re-encode to
// the same text), encode/decode round trips, and the PLAIN, LOGIN and bearer decoders.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/sasl/base64.h"
#include "protocol/sasl/bearer.h"
#include "protocol/sasl/login.h"
#include "protocol/sasl/plain.h"

using namespace mb::protocol::sasl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    auto decoded = base64_decode(input);
    if (decoded && base64_encode(*decoded) != input) std::abort();
    auto round_trip = base64_decode(base64_encode(input));
    if (!round_trip || *round_trip != input) std::abort();

    auto plain = decode_plain(input);
    if (plain && (plain->authcid.empty() || plain->password.empty())) std::abort();
    (void)decode_login_user(input);
    (void)decode_login_password(input);
    (void)decode_bearer_error(input);

    const std::size_t half = input.size() / 2;
    (void)xoauth2_initial_response(input.substr(0, half),
                                   mb::Secret(std::string(input.substr(half))));
    (void)oauthbearer_initial_response(input.substr(0, half), "imap.example.com", 993,
                                       mb::Secret(std::string(input.substr(half))));
    return 0;
}
