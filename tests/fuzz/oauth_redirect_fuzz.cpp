// Fuzz target for the parsers of the interactive flows: the device authorization answer
// (RFC 8628 3.2), device-poll errors, and the redirect query of the authorization code flow
// (percent decoding, query lookup, state check). None may crash or hang; results must be coherent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/oauth/authorization_request.h"
#include "protocol/oauth/device_authorization.h"

namespace po = mb::protocol::oauth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    auto device = po::parse_device_authorization(text);
    if (device.ok() && (device->device_code.empty() || device->user_code.empty() ||
                        device->verification_uri.empty() || device->expires_in.count() <= 0 ||
                        device->interval.count() <= 0))
        std::abort();

    const std::size_t cut = text.find('\n');
    const std::string_view first = text.substr(0, cut);
    const std::string_view rest = cut == std::string_view::npos ? "" : text.substr(cut + 1);
    auto verdict = po::interpret_device_poll_error(first, rest);
    if (verdict.verdict == po::DevicePollVerdict::stop && verdict.message.empty()) std::abort();

    if (auto decoded = po::percent_decode(text); decoded.ok() && decoded->size() > text.size())
        std::abort();
    (void)po::query_value(text, "state");
    auto code = po::code_from_redirect(text, "expected-state");
    if (code.ok()) {
        auto state = po::query_value(text, "state");
        if (!state.ok() || !state->has_value() || **state != "expected-state" || code->empty())
            std::abort();
    }
    return 0;
}
