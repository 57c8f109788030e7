// The action queue every pre-login dialogue shares: see prelogin_dialogue.h.
#include "protocol/prelogin_dialogue.h"

#include <utility>

namespace mb::protocol {

std::optional<PreLoginAction> PreLoginDialogue::next_action() {
    if (actions_.empty()) return std::nullopt;
    PreLoginAction action = std::move(actions_.front());
    actions_.pop_front();
    return action;
}

void PreLoginDialogue::push(PreLoginAction::Kind kind, std::string bytes) {
    actions_.push_back({.kind = kind, .bytes = std::move(bytes), .user = {}, .password = {}});
}

void PreLoginDialogue::push_login(std::string user, Secret password) {
    actions_.push_back({.kind = PreLoginAction::Kind::login,
                        .bytes = {},
                        .user = std::move(user),
                        .password = std::move(password)});
}

}  // namespace mb::protocol
