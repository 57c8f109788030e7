// Fuzz target for ImapPreLoginDialogue (literals, AUTHENTICATE, STARTTLS) through the shared
// pre-login script driver.
#include "prelogin_script.h"
#include "protocol/imap/prelogin_dialogue.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mb::protocol::imap::ImapPreLoginDialogue dialogue(
        {.starttls_offered = size % 2 == 0, .max_input = 8192, .max_command = 4096});
    mb::fuzz::run_prelogin_script(dialogue, data, size, [](unsigned char) {});
    return 0;
}
