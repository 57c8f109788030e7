// Conversions from parsed FETCH data to cache updates, and accessors over the update variant.
#include "store/cache_update.h"

namespace mb::store {

std::optional<MessageUpdate> message_update_from_fetch(const protocol::imap::FetchData& fetch,
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
    out.internal_date = fetch.internal_date;
    out.modseq = fetch.modseq;
    if (fetch.envelope && fetch.raw_envelope) {
        const protocol::imap::Envelope& envelope = *fetch.envelope;
        auto addresses = [](const std::vector<protocol::imap::Address>& list) {
            return list.empty()
                       ? std::nullopt
                       : std::optional<std::string>(protocol::imap::format_addresses(list));
        };
        out.envelope =
            EnvelopeFields{envelope.date,          envelope.subject,       addresses(envelope.from),
                           addresses(envelope.to), addresses(envelope.cc), envelope.message_id,
                           envelope.in_reply_to,   *fetch.raw_envelope};
    }
    return out;
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
