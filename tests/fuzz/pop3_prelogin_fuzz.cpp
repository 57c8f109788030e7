// Fuzz target for Pop3PreLoginDialogue through the shared pre-login script driver.
#include "prelogin_script.h"
#include "protocol/pop3/prelogin_dialogue.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mb::protocol::pop3::Pop3PreLoginDialogue dialogue(
        {.starttls_offered = size % 2 == 0, .max_input = 4096});
    mb::fuzz::run_prelogin_script(dialogue, data, size, [](unsigned char) {});
    return 0;
}
