// Fuzz target for printable() and the POP3/SMTP trace masks: whatever the bytes, the output holds
// no raw C0 control, DEL or C1 character (U+0080..U+009F) and is valid UTF-8, a mask never shows
// what follows PASS or an AUTH mechanism, and Backslash::kept differs from the default only in
// backslashes. Aborts otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/pop3/trace_mask.h"
#include "protocol/printable_text.h"
#include "protocol/smtp/trace_mask.h"

using namespace mb::protocol;

namespace {

// Valid UTF-8 with no control character (the output may hold only printable text).
bool clean(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) return false;
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (length == 0 || i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
        if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f) return false;
        i += length;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::string shown = printable(input);
    if (!clean(shown)) std::abort();
    const std::string kept = printable(input, Backslash::kept);
    if (!clean(kept) || kept.size() > shown.size()) std::abort();
    if (!clean(printable_trace_line(input))) std::abort();

    const std::string pop3 = pop3::mask_trace_command(input, false);
    const std::string smtp = smtp::mask_trace_command(input, false);
    if (!clean(pop3) || !clean(smtp)) std::abort();
    if (!clean(pop3::mask_trace_command(input, true))) std::abort();
    // After "PASS " nothing of the line may show but the mask.
    const std::string_view verb = input.substr(0, 5);
    if ((verb == "PASS " || verb == "pass ") &&
        input.find_first_not_of(' ', 5) != std::string_view::npos &&
        input.find_first_of("\r\n") == std::string_view::npos &&
        pop3 != std::string(input.substr(0, 4)) + " ***")
        std::abort();
    return 0;
}
