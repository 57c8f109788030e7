// The admin_token check of the health endpoint (see admin_access.h).
#include "bridge/health/admin_access.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <nlohmann/json.hpp>

#include <array>

namespace mb::health {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

// Comparing digests keeps the comparison constant-time whatever the lengths.
Digest digest_of(std::string_view text) {
    Digest out{};
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
    return out;
}

bool starts_with_bearer(std::string_view value) {
    constexpr std::string_view scheme = "bearer ";
    if (value.size() <= scheme.size()) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        char c = value[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != scheme[i]) return false;
    }
    return true;
}

}  // namespace

void AdminAccess::set_token(std::optional<Secret> token) {
    if (token && token->empty()) token.reset();
    token_ = std::move(token);
}

bool AdminAccess::accepts(std::string_view presented) const {
    if (!token_ || presented.empty()) return false;
    const Digest expected = digest_of(token_->reveal());
    const Digest given = digest_of(presented);
    return CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

bool AdminAccess::authorizes(const protocol::http::Request& request) const {
    auto header = request.header("Authorization");
    if (!header || !starts_with_bearer(*header)) return false;
    std::string_view presented = header->substr(7);
    while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
    return accepts(presented);
}

HttpResponse AdminAccess::refusal(bool json) const {
    const std::string message =
        token_ ? "this needs the admin token: send Authorization: Bearer <[daemon] admin_token>"
               : "[daemon] admin_token is not set, so the health endpoint accepts no POST; set it "
                 "and reload";
    HttpResponse response;
    response.status = 401;
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"mailbridge\"");
    if (json) {
        response.content_type = "application/json";
        response.body = nlohmann::json{{"error", message}}.dump() + "\n";
    } else {
        response.body = message + "\n";
    }
    return response;
}

}  // namespace mb::health
