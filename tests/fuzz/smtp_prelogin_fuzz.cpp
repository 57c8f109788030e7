// Fuzz target for SmtpPreLoginDialogue through the shared pre-login script driver; its own event
// is the upstream's extensions arriving (known, or unreachable), answering a waiting EHLO.
#include "prelogin_script.h"
#include "protocol/smtp/prelogin_dialogue.h"

using namespace mb::protocol::smtp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    SmtpPreLoginDialogue dialogue(
        {.domain = "fuzz.test", .starttls_offered = size % 2 == 0, .max_input = 4096});
    mb::fuzz::run_prelogin_script(dialogue, data, size, [&dialogue](unsigned char control) {
        std::optional<EhloCapabilities> caps;
        if ((control & 0x10) != 0) caps = EhloCapabilities{};
        if (dialogue.upstream_offer(caps)) dialogue.resume();
    });
    return 0;
}
