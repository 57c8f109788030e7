// Conversions from parsed FETCH data to cache updates, and accessors over the update variant.
#include "store/cache_update.h"

namespace mb::store {

std::optional<MessageUpdate> message_update_from_fetch(protocol::imap::FetchData fetch,
                                                       std::optional<std::uint32_t> known_uid) {
    const std::optional<std::uint32_t> uid = fetch.uid ? fetch.uid : known_uid;
    if (!uid) return std::nullopt;
    MessageUpdate out;
    out.uid = *uid;
    if (fetch.flags) {
        std::string joined;
        for (const std::string& flag : *fetch.flags) {
            if (!joined.empty()) joined.push_back(' ');
            joined.append(flag);
        }
        out.flags = std::move(joined);
    }
    out.rfc822_size = fetch.rfc822_size;
    out.internal_date = std::move(fetch.internal_date);
    out.modseq = fetch.modseq;
    out.envelope = std::move(fetch.raw_envelope);
    return out;
}

Result<EnvelopeFields> envelope_fields(std::string raw) {
    auto envelope = protocol::imap::parse_envelope(raw);
    if (!envelope) return envelope.error();
    auto addresses = [](const std::vector<protocol::imap::Address>& list) {
        return list.empty() ? std::nullopt
                            : std::optional<std::string>(protocol::imap::format_addresses(list));
    };
    return EnvelopeFields{std::move(envelope->date),        std::move(envelope->subject),
                          addresses(envelope->from),        addresses(envelope->to),
                          addresses(envelope->cc),          std::move(envelope->message_id),
                          std::move(envelope->in_reply_to), std::move(raw)};
}

const Owner& owner_of(const CacheUpdate& update) {
    return std::visit([](const auto& u) -> const Owner& { return u.owner; }, update);
}

const std::string& mailbox_of(const CacheUpdate& update) {
    return std::visit(
        [](const auto& u) -> const std::string& {
            if constexpr (std::is_same_v<std::decay_t<decltype(u)>, update::RenameMailbox>)
                return u.from;
            else
                return u.mailbox;
        },
        update);
}

}  // namespace mb::store
