// Scripted runs of a sans-I/O pre-login dialogue (protocol::PreLoginDialogue) for unit tests:
// client bytes and events in order, the actions described as text; expect_every_split() feeds the
// script whole, byte by byte and split at every position of each byte step, and wants the same.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocol/prelogin_dialogue.h"

namespace mb::test {

// One action as text: "reply:…", "command:…", "start_tls:…", "login:user/password", "close:…".
inline std::string describe(const protocol::PreLoginAction& action) {
    using Kind = protocol::PreLoginAction::Kind;
    switch (action.kind) {
        case Kind::reply:
            return "reply:" + action.bytes;
        case Kind::command:
            return "command:" + action.bytes;
        case Kind::start_tls:
            return "start_tls:" + action.bytes;
        case Kind::login:
            return "login:" + action.user + "/" + action.password.reveal();
        case Kind::close:
            return "close:" + action.bytes;
    }
    return "?";
}

inline void drain(protocol::PreLoginDialogue& dialogue, std::vector<std::string>& out) {
    while (auto action = dialogue.next_action()) out.push_back(describe(*action));
}

// A script step for dialogue type D: client bytes (split by the runner), or an event.
template <typename D>
struct DialogueStep {
    std::string bytes;
    std::function<void(D&)> event = nullptr;
};

template <typename D>
using DialogueFactory = std::function<std::unique_ptr<D>()>;

// Runs `steps`, feeding each byte step in pieces of `piece` bytes (0 = whole).
template <typename D>
std::vector<std::string> run_script(const DialogueFactory<D>& make,
                                    const std::vector<DialogueStep<D>>& steps, std::size_t piece) {
    auto dialogue = make();
    std::vector<std::string> out;
    for (const auto& step : steps) {
        if (step.event) {
            step.event(*dialogue);
        } else if (piece == 0) {
            dialogue->feed(step.bytes);
        } else {
            for (std::size_t at = 0; at < step.bytes.size(); at += piece)
                dialogue->feed(std::string_view(step.bytes).substr(at, piece));
        }
        drain(*dialogue, out);
    }
    return out;
}

template <typename D>
void expect_every_split(const DialogueFactory<D>& make, const std::vector<DialogueStep<D>>& steps,
                        const std::vector<std::string>& expected) {
    EXPECT_EQ(run_script(make, steps, 0), expected) << "fed whole";
    EXPECT_EQ(run_script(make, steps, 1), expected) << "fed byte by byte";
    for (std::size_t s = 0; s < steps.size(); ++s) {
        if (steps[s].event) continue;
        for (std::size_t cut = 1; cut < steps[s].bytes.size(); ++cut) {
            std::vector<DialogueStep<D>> split;
            for (std::size_t i = 0; i < steps.size(); ++i) {
                if (i != s) {
                    split.push_back(steps[i]);
                    continue;
                }
                split.push_back({steps[i].bytes.substr(0, cut)});
                split.push_back({steps[i].bytes.substr(cut)});
            }
            ASSERT_EQ(run_script(make, split, 0), expected) << "step " << s << " split at " << cut;
        }
    }
}

}  // namespace mb::test
