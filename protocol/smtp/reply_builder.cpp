// SMTP reply builders.
#include "protocol/smtp/reply_builder.h"

#include <stdexcept>

#include "protocol/smtp/syntax.h"

namespace mb::protocol::smtp {

namespace {
void check_code(int code) {
    if (code < 200 || code > 599) throw std::invalid_argument("SMTP reply code outside 200..599");
}
}  // namespace

std::string reply(int code, std::string_view enhanced, std::string_view text) {
    check_code(code);
    std::string out = std::to_string(code);
    out.push_back(' ');
    if (!enhanced.empty()) {
        out.append(one_line(enhanced));
        out.push_back(' ');
    }
    out.append(one_line(text));
    out.append("\r\n");
    return out;
}

std::string multiline_reply(int code, const std::vector<std::string_view>& lines) {
    check_code(code);
    if (lines.empty()) throw std::invalid_argument("SMTP multi-line reply needs at least one line");
    const std::string prefix = std::to_string(code);
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out.append(prefix);
        out.push_back(i + 1 == lines.size() ? ' ' : '-');
        out.append(one_line(lines[i]));
        out.append("\r\n");
    }
    return out;
}

std::string greeting_reply(std::string_view domain, std::string_view text) {
    return "220 " + one_line(domain) + " " + one_line(text) + "\r\n";
}

std::string auth_challenge_reply(std::string_view challenge_base64) {
    return "334 " + one_line(challenge_base64) + "\r\n";
}

}  // namespace mb::protocol::smtp
