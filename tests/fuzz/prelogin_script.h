// The libFuzzer driver the pre-login dialogue targets share: the input is a script of client
// chunks and session events (TLS up or unavailable, a login refused — temporary or closing — and
// one protocol-specific event). Aborts if a reply or go-ahead is not CRLF-terminated, a login
// comes while one is under way, or an action appears after a close.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "protocol/prelogin_dialogue.h"

namespace mb::fuzz {

inline void run_prelogin_script(mb::protocol::PreLoginDialogue& dialogue, const uint8_t* data,
                                size_t size,
                                const std::function<void(unsigned char control)>& extra_event) {
    using Kind = mb::protocol::PreLoginAction::Kind;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    bool closed = false;
    bool logging_in = false;
    std::size_t at = 0;
    while (at < input.size()) {
        const unsigned char control = static_cast<unsigned char>(input[at++]);
        switch (control % 8) {
            case 0:
                extra_event(control);
                break;
            case 1:
                dialogue.tls_started();
                break;
            case 2:
                dialogue.tls_unavailable("fuzz");
                break;
            case 3:
                logging_in = false;
                dialogue.login_refused({.temporary = (control & 0x10) != 0,
                                        .message = "refused",
                                        .upstream_code = (control & 0x40) != 0 ? "CODE" : "",
                                        .close_connection = (control & 0x20) != 0});
                break;
            default: {
                const std::size_t length = 1 + (control >> 3);
                dialogue.feed(input.substr(at, length));
                at += length;
                break;
            }
        }
        while (auto action = dialogue.next_action()) {
            if (closed) std::abort();
            if ((action->kind == Kind::reply || action->kind == Kind::start_tls) &&
                (action->bytes.size() < 2 || !action->bytes.ends_with("\r\n")))
                std::abort();
            if (action->kind == Kind::login) {
                if (logging_in) std::abort();
                logging_in = true;
            }
            if (action->kind == Kind::close) closed = true;
        }
    }
    if (logging_in && !closed) {
        std::string answer = dialogue.logged_in("x OK done\r\n");
        if (!answer.ends_with("\r\n")) std::abort();
        (void)dialogue.take_pipelined();
    }
}

}  // namespace mb::fuzz
