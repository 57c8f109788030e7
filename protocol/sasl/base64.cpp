// Base64 implementation: table-driven, four characters to three bytes at a time.
#include "protocol/sasl/base64.h"

#include <array>
#include <cstdint>

namespace mb::protocol::sasl {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
    std::array<std::uint8_t, 256> table{};
    for (auto& entry : table) entry = kInvalid;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
    return table;
}
constexpr auto kDecode = make_decode_table();

}  // namespace

std::string base64_encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t n =
            static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16 |
            static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8 |
            static_cast<unsigned char>(data[i + 2]);
        out.push_back(kAlphabet[n >> 18 & 63]);
        out.push_back(kAlphabet[n >> 12 & 63]);
        out.push_back(kAlphabet[n >> 6 & 63]);
        out.push_back(kAlphabet[n & 63]);
    }
    const std::size_t left = data.size() - i;
    if (left > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16;
        if (left == 2)
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
        out.push_back(kAlphabet[n >> 18 & 63]);
        out.push_back(kAlphabet[n >> 12 & 63]);
        out.push_back(left == 2 ? kAlphabet[n >> 6 & 63] : '=');
        out.push_back('=');
    }
    return out;
}

Result<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return make_error("base64 text length is not a multiple of 4");
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        std::uint32_t n = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const bool pad_slot = last && j >= 4 - padding;
            const unsigned char c = static_cast<unsigned char>(text[i + j]);
            if (pad_slot) {
                n <<= 6;
                continue;
            }
            const std::uint8_t value = kDecode[c];
            if (value == kInvalid)
                return make_error(c == '='
                                      ? "base64 padding appears before the end"
                                      : "base64 text contains a character outside the alphabet");
            n = n << 6 | value;
        }
        if (last && padding == 2 && (n & 0xffff) != 0)
            return make_error("base64 text has non-zero bits before its padding");
        if (last && padding == 1 && (n & 0xff) != 0)
            return make_error("base64 text has non-zero bits before its padding");
        out.push_back(static_cast<char>(n >> 16 & 0xff));
        if (!(last && padding == 2)) out.push_back(static_cast<char>(n >> 8 & 0xff));
        if (!(last && padding >= 1)) out.push_back(static_cast<char>(n & 0xff));
    }
    return out;
}

}  // namespace mb::protocol::sasl
