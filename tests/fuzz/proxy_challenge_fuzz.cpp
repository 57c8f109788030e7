// Fuzz target for Proxy-Authenticate parsing and the answers built from it: any input (split into
// header values at newlines) parses or fails cleanly within the limits, and every Digest or Basic
// challenge read from it yields a well-formed answer or an error, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "protocol/http/digest_auth.h"
#include "protocol/http/proxy_authenticator.h"
#include "protocol/http/proxy_challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mb::protocol::http;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> values;
    while (true) {
        auto newline = input.find('\n');
        values.push_back(input.substr(0, newline));
        if (newline == std::string_view::npos) break;
        input.remove_prefix(newline + 1);
    }
    auto challenges = parse_challenges(values);
    if (!challenges) {
        if (challenges.error().message.empty()) std::abort();
        return 0;
    }
    if (challenges->size() > kMaxChallenges) std::abort();
    for (const auto& challenge : *challenges) {
        if (challenge.scheme.empty() || challenge.params.size() > kMaxChallengeParams) std::abort();
        auto digest = read_digest_challenge(challenge);
        if (!digest) continue;
        auto answer =
            digest_authorization(*digest, "user", mb::Secret("password"),
                                 {.method = "CONNECT", .uri = "h:1", .cnonce = "abc", .nc = 1});
        if (answer && answer->reveal().rfind("Digest username=", 0) != 0) std::abort();
    }
    ResponseHead head;
    head.status = 407;
    for (auto value : values) head.headers.push_back({"Proxy-Authenticate", std::string(value)});
    ProxyAuthenticator authenticator(ProxyAuthMode::any, "user", mb::Secret("password"));
    (void)authenticator.answer(head, "h:1", "abc");
    return 0;
}
