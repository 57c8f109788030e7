// ProxyAuthenticator: challenge selection per mode and the single retry rules; see the header.
#include "protocol/http/proxy_authenticator.h"

#include <optional>

#include "protocol/http/basic_auth.h"
#include "protocol/http/digest_auth.h"
#include "protocol/http/proxy_challenge.h"

namespace mb::protocol::http {
namespace {

// Higher is preferred; SHA-256 over MD5, plain over -sess (more widely implemented server-side).
int digest_rank(DigestAlgorithm algorithm) {
    switch (algorithm) {
        case DigestAlgorithm::sha256:
            return 4;
        case DigestAlgorithm::sha256_sess:
            return 3;
        case DigestAlgorithm::md5:
            return 2;
        case DigestAlgorithm::md5_sess:
            return 1;
    }
    return 0;
}

std::string offered_schemes(const std::vector<Challenge>& challenges) {
    std::string names;
    for (const auto& c : challenges) {
        if (names.find(c.scheme) != std::string::npos) continue;
        if (!names.empty()) names += ", ";
        names += c.scheme;
    }
    return names.empty() ? "no challenge" : names;
}

}  // namespace

std::string_view to_string(ProxyAuthMode mode) {
    switch (mode) {
        case ProxyAuthMode::none:
            return "none";
        case ProxyAuthMode::basic:
            return "basic";
        case ProxyAuthMode::digest:
            return "digest";
        case ProxyAuthMode::any:
            return "any";
    }
    return "any";
}

ProxyAuthenticator::ProxyAuthenticator(ProxyAuthMode mode, std::string username, Secret password)
    : mode_(mode), username_(std::move(username)), password_(std::move(password)) {}

Result<Secret> ProxyAuthenticator::answer(const ResponseHead& head, std::string_view uri,
                                          std::string_view cnonce) {
    if (mode_ == ProxyAuthMode::none)
        return make_error(
            "the proxy requires authentication (407) but auth = \"none\"; set auth, username "
            "and password in the [[proxy]] section");
    auto challenges = parse_challenges(head.headers_named("Proxy-Authenticate"));
    if (!challenges) return challenges.error();

    std::optional<DigestChallenge> best_digest;
    std::string digest_problem;
    bool basic_offered = false;
    for (const auto& challenge : *challenges) {
        if (challenge.is("Basic")) basic_offered = true;
        if (!challenge.is("Digest")) continue;
        auto digest = read_digest_challenge(challenge);
        if (!digest) {
            digest_problem = digest.error().message;
            continue;
        }
        if (!best_digest || digest_rank(digest->algorithm) > digest_rank(best_digest->algorithm))
            best_digest = std::move(digest).value();
    }

    if (answered_) {
        const bool stale_retry =
            answered_digest_ && !stale_retry_used_ && best_digest && best_digest->stale;
        if (!stale_retry)
            return make_error(
                "proxy authentication failed (407 after credentials); check username and "
                "password in the [[proxy]] section");
        stale_retry_used_ = true;
    }

    const bool digest_allowed = mode_ == ProxyAuthMode::digest || mode_ == ProxyAuthMode::any;
    const bool basic_allowed = mode_ == ProxyAuthMode::basic || mode_ == ProxyAuthMode::any;
    if (digest_allowed && best_digest) {
        auto value =
            digest_authorization(*best_digest, username_, password_,
                                 {.method = "CONNECT", .uri = uri, .cnonce = cnonce, .nc = 1});
        if (!value) return value.error();
        answered_ = true;
        answered_digest_ = true;
        scheme_ = "Digest " + std::string(to_string(best_digest->algorithm));
        return value;
    }
    if (basic_allowed && basic_offered && !answered_digest_) {
        auto value = basic_authorization(username_, password_);
        if (!value) return value.error();
        answered_ = true;
        scheme_ = "Basic";
        return value;
    }
    std::string offered = offered_schemes(*challenges);
    if (!digest_problem.empty() && digest_allowed)
        return make_error("the proxy's Digest challenge cannot be answered: " + digest_problem);
    return make_error("the proxy offers " + offered + " but auth = \"" +
                      std::string(to_string(mode_)) + "\" accepts " +
                      (mode_ == ProxyAuthMode::basic    ? "only Basic"
                       : mode_ == ProxyAuthMode::digest ? "only Digest"
                                                        : "only Basic or Digest") +
                      "; set auth in the [[proxy]] section to a scheme the proxy offers");
}

}  // namespace mb::protocol::http
