// The answers of a SASL client exchange: see client_exchange.h.
#include "protocol/sasl/client_exchange.h"

namespace mb::protocol::sasl {

SaslClientExchange SaslClientExchange::bearer(BearerMechanism mechanism,
                                              std::optional<Secret> deferred) {
    SaslClientExchange exchange;
    exchange.bearer_ = mechanism;
    if (deferred) exchange.responses_.push_back(std::move(*deferred));
    return exchange;
}

SaslClientExchange SaslClientExchange::password(std::deque<Secret> responses) {
    SaslClientExchange exchange;
    exchange.responses_ = std::move(responses);
    return exchange;
}

SaslClientExchange::Answer SaslClientExchange::on_challenge(std::string_view challenge) {
    if (!responses_.empty()) {
        Secret next = std::move(responses_.front());
        responses_.pop_front();
        return {.line = Secret(next.reveal() + "\r\n"), .secret = true, .bearer_error = {}};
    }
    if (!bearer_) return {.line = Secret("*\r\n"), .secret = false, .bearer_error = {}};
    Answer answer{.line = Secret(std::string(bearer_error_answer(*bearer_)) + "\r\n"),
                  .secret = false,
                  .bearer_error = {}};
    if (auto detail = decode_bearer_error(challenge)) answer.bearer_error = std::move(*detail);
    return answer;
}

}  // namespace mb::protocol::sasl
