// SaslClientExchange: the client side of one SASL authentication after its command went out —
// the responses still owed to the server's challenges, in order, and the answer once none is
// left (a bearer mechanism's error challenge gets bearer_error_answer so the server sends its
// failure; PLAIN and LOGIN cancel with "*"). Pure: a challenge in, the line to send out.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/sasl/bearer.h"
#include "protocol/secret.h"

namespace mb::protocol::sasl {

class SaslClientExchange {
  public:
    // What to send for one challenge: a CRLF-terminated line; `secret` when it carries
    // credentials (never logged). `bearer_error` holds the decoded JSON of a bearer mechanism's
    // error challenge, for a debug line.
    struct Answer {
        Secret line;
        bool secret = false;
        std::optional<std::string> bearer_error;
    };

    SaslClientExchange() = default;
    // A bearer mechanism; `deferred` is its initial response when the command could not carry it.
    static SaslClientExchange bearer(BearerMechanism mechanism, std::optional<Secret> deferred);
    // PLAIN (one response) or LOGIN (user, then password), each base64 without CRLF.
    static SaslClientExchange password(std::deque<Secret> responses);

    // The server sent a challenge (its base64 payload, possibly empty).
    Answer on_challenge(std::string_view challenge);
    // Responses not yet sent.
    std::size_t owed() const { return responses_.size(); }

  private:
    std::optional<BearerMechanism> bearer_;
    std::deque<Secret> responses_;
};

}  // namespace mb::protocol::sasl
