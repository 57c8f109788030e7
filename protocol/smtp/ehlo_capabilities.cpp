// EHLO keyword parsing and the bridge's own EHLO reply.
#include "protocol/smtp/ehlo_capabilities.h"

#include "protocol/smtp/reply_builder.h"
#include "protocol/smtp/syntax.h"

namespace mb::protocol::smtp {

namespace {
// 2^64 has 20 digits; a SIZE with more is ignored.
constexpr std::size_t kMaxSizeDigits = 19;

std::optional<std::uint64_t> parse_size(std::string_view text) {
    if (text.empty()) return 0;
    if (text.size() > kMaxSizeDigits) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (!is_digit(c)) return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

void add_mechanisms(EhloCapabilities& out, std::string_view list) {
    while (!list.empty()) {
        const std::size_t end = list.find(' ');
        std::string_view mechanism = list.substr(0, end);
        list = end == std::string_view::npos ? std::string_view{} : list.substr(end + 1);
        if (!mechanism.empty() && !out.has_auth(mechanism))
            out.auth_mechanisms.push_back(to_upper(mechanism));
    }
}
}  // namespace

bool EhloCapabilities::has_auth(std::string_view mechanism) const {
    for (const std::string& offered : auth_mechanisms)
        if (iequals(offered, mechanism)) return true;
    return false;
}

EhloCapabilities parse_ehlo_reply(const Reply& reply) {
    EhloCapabilities out;
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        std::string_view line = reply.lines[i];
        const std::size_t end = line.find_first_of(" =");
        std::string_view keyword = line.substr(0, end);
        std::string_view params =
            end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
        if (iequals(keyword, "AUTH"))
            add_mechanisms(out, params);
        else if (iequals(keyword, "STARTTLS"))
            out.starttls = true;
        else if (iequals(keyword, "PIPELINING"))
            out.pipelining = true;
        else if (iequals(keyword, "8BITMIME"))
            out.eight_bit_mime = true;
        else if (iequals(keyword, "SMTPUTF8"))
            out.smtputf8 = true;
        else if (iequals(keyword, "ENHANCEDSTATUSCODES"))
            out.enhanced_status_codes = true;
        else if (iequals(keyword, "DSN"))
            out.dsn = true;
        else if (iequals(keyword, "CHUNKING"))
            out.chunking = true;
        else if (iequals(keyword, "BINARYMIME"))
            out.binary_mime = true;
        else if (iequals(keyword, "SIZE"))
            out.size = parse_size(params);
    }
    return out;
}

std::string ehlo_reply(std::string_view domain, const LocalEhloOffer& offer,
                       const EhloCapabilities& upstream) {
    std::vector<std::string> lines{std::string(domain)};
    if (upstream.pipelining) lines.emplace_back("PIPELINING");
    if (upstream.size)
        lines.push_back(*upstream.size == 0 ? "SIZE" : "SIZE " + std::to_string(*upstream.size));
    if (upstream.eight_bit_mime) lines.emplace_back("8BITMIME");
    if (upstream.smtputf8) lines.emplace_back("SMTPUTF8");
    if (upstream.enhanced_status_codes) lines.emplace_back("ENHANCEDSTATUSCODES");
    if (upstream.dsn) lines.emplace_back("DSN");
    if (offer.starttls) lines.emplace_back("STARTTLS");
    if (offer.auth) lines.emplace_back("AUTH PLAIN LOGIN");
    return multiline_reply(250, std::vector<std::string_view>(lines.begin(), lines.end()));
}

}  // namespace mb::protocol::smtp
