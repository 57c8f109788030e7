// Capability list policy and the line rewriting that applies it.
#include "protocol/imap/capabilities.h"

#include "protocol/imap/response_parser.h"
#include "protocol/imap/syntax.h"

namespace mb::protocol::imap {

std::vector<std::string_view> pre_auth_capabilities(PreAuthOffer offer) {
    std::vector<std::string_view> out{"IMAP4rev1"};
    if (offer.starttls) out.push_back("STARTTLS");
    if (offer.login)
        out.insert(out.end(), {"AUTH=PLAIN", "SASL-IR"});
    else
        out.push_back("LOGINDISABLED");
    out.insert(out.end(), {"LITERAL+", "ID"});
    return out;
}

bool is_relayable_capability(std::string_view capability) {
    return !(istarts_with(capability, "AUTH=") || istarts_with(capability, "COMPRESS=") ||
             iequals(capability, "SASL-IR") || iequals(capability, "LOGINDISABLED") ||
             iequals(capability, "STARTTLS") || iequals(capability, "UNAUTHENTICATE"));
}

std::vector<std::string_view> relayable_capabilities(
    const std::vector<std::string_view>& upstream) {
    std::vector<std::string_view> out;
    for (std::string_view capability : upstream)
        if (is_relayable_capability(capability)) out.push_back(capability);
    return out;
}

std::optional<std::string> rewrite_capability_response(std::string_view line) {
    auto parsed = parse_response(line);
    if (!parsed || parsed->capabilities.empty()) return std::nullopt;
    const Response& response = *parsed;
    std::vector<std::string_view> kept = relayable_capabilities(response.capabilities);
    if (kept.size() == response.capabilities.size()) return std::nullopt;

    // The list region: the code's arguments, or the text of "* CAPABILITY".
    const std::string_view region =
        response.code && response.code->is("CAPABILITY") ? response.code->arguments : response.text;
    const std::size_t begin = static_cast<std::size_t>(region.data() - line.data());
    std::string out(line.substr(0, begin));
    for (std::size_t i = 0; i < kept.size(); ++i) {
        if (i > 0) out.push_back(' ');
        out.append(kept[i]);
    }
    out.append(line.substr(begin + region.size()));
    return out;
}

}  // namespace mb::protocol::imap
