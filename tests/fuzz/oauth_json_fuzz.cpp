// Fuzz target for the OAuth2 JSON parsers: token endpoint answers and OpenID discovery documents.
// Neither may crash, hang or grow beyond its limits on any input; a grant must be coherent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/oauth/discovery.h"
#include "protocol/oauth/endpoint_url.h"
#include "protocol/oauth/token_response.h"

namespace po = mb::protocol::oauth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto token = po::parse_token_response(text);
    if (token.ok()) {
        if (const auto* grant = std::get_if<po::TokenGrant>(&*token)) {
            if (grant->access_token.empty() || grant->expires_in.count() < 0 ||
                grant->expires_in > po::kMaxExpiresIn)
                std::abort();
        } else if (std::get<po::TokenErrorReply>(*token).error.empty()) {
            std::abort();
        }
    }
    auto document = po::parse_discovery(text, "https://id.example.com");
    if (document.ok() && (document->issuer != "https://id.example.com" ||
                          !po::check_endpoint_url(document->token_endpoint, "t").ok()))
        std::abort();
    (void)po::check_endpoint_url(text, "url");
    return 0;
}
