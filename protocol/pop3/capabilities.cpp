// Post-login CAPA rewriting: drops whole lines, so line ends and dot-stuffing stay as sent.
#include "protocol/pop3/capabilities.h"

#include "protocol/pop3/syntax.h"

namespace mb::protocol::pop3 {

bool is_relayable_capability(std::string_view capability_line) {
    std::string_view keyword = first_word(capability_line);
    return !(iequals(keyword, "STLS") || iequals(keyword, "SASL") || iequals(keyword, "USER") ||
             iequals(keyword, "AUTH-RESP-CODE"));
}

std::optional<std::string> rewrite_capa_response(std::string_view response) {
    if (!response.starts_with("+OK")) return std::nullopt;
    std::size_t end = response.find('\n');
    if (end == std::string_view::npos) return std::nullopt;
    std::string out(response.substr(0, end + 1));
    bool changed = false;
    std::size_t at = end + 1;
    while (at < response.size()) {
        end = response.find('\n', at);
        std::string_view raw =
            response.substr(at, end == std::string_view::npos ? end : end + 1 - at);
        at = end == std::string_view::npos ? response.size() : end + 1;
        std::string_view content = raw;
        if (content.ends_with("\n")) content.remove_suffix(1);
        if (content.ends_with("\r")) content.remove_suffix(1);
        if (content != "." && content.starts_with(".")) content.remove_prefix(1);
        if (content != "." && !is_relayable_capability(content)) {
            changed = true;
            continue;
        }
        out.append(raw);
    }
    if (!changed) return std::nullopt;
    return out;
}

}  // namespace mb::protocol::pop3
