// ImapCacheObserver implementation. Client commands are queued in the order they were sent; a
// SELECT/EXAMINE takes over the untagged responses once every command before it has its tagged
// reply, and its tagged OK (or NO) decides what is selected. Each upstream response unit, as the
// relay's framer cuts it, is parsed (literal bodies counted and dropped by the parser).
#include "bridge/session/imap_cache_observer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "protocol/limits.h"

namespace mb::session {
namespace imap = protocol::imap;
using imap::StreamEvent;

namespace {

constexpr std::size_t kObservedMaxLine = 1024 * 1024;

bool is_inbox(std::string_view name) {
    static constexpr std::string_view kInbox = "INBOX";
    if (name.size() != kInbox.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(name[i])) != kInbox[i]) return false;
    return true;
}

bool same_mailbox(std::string_view a, std::string_view b) {
    return a == b || (is_inbox(a) && is_inbox(b));
}

bool is_flag(std::string_view flag, std::string_view upper_name) {
    if (flag.size() != upper_name.size()) return false;
    for (std::size_t i = 0; i < flag.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(flag[i])) != upper_name[i]) return false;
    return true;
}

bool has_deleted_flag(const imap::FetchData& fetch) {
    if (!fetch.flags) return false;
    return std::any_of(fetch.flags->begin(), fetch.flags->end(),
                       [](const std::string& flag) { return is_flag(flag, "\\DELETED"); });
}

// \Recent belongs to one session, not to the message: the cache never keeps it.
void drop_recent(imap::FetchData& fetch) {
    if (!fetch.flags) return;
    std::erase_if(*fetch.flags, [](const std::string& flag) { return is_flag(flag, "\\RECENT"); });
}

bool carries_data(const imap::FetchData& fetch) {
    return fetch.flags || fetch.rfc822_size || fetch.internal_date || fetch.modseq ||
           fetch.raw_envelope;
}

// The sequence number of a "* N FETCH " response line; nullopt for any other line.
std::optional<std::uint32_t> fetch_sequence(std::string_view line) {
    if (line.size() < 10 || line[0] != '*' || line[1] != ' ') return std::nullopt;
    std::uint64_t sequence = 0;
    std::size_t pos = 2;
    while (pos < line.size() && line[pos] >= '0' && line[pos] <= '9' && pos < 12)
        sequence = sequence * 10 + static_cast<std::uint64_t>(line[pos++] - '0');
    if (pos == 2 || sequence == 0 || sequence > UINT32_MAX) return std::nullopt;
    if (line.substr(pos, 7) != " FETCH ") return std::nullopt;
    return static_cast<std::uint32_t>(sequence);
}

// 64 bits of the 128-bit product, folded: the mixing step of the hash below.
std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) {
    __extension__ using Product = unsigned __int128;
    const Product product = static_cast<Product>(a) * b;
    return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// A fast 64-bit hash of a response line, eight bytes at a time: it is only compared with the
// hash of the line last seen for the same message, on the hot path of every FETCH response.
std::uint64_t line_hash(std::string_view line) {
    std::uint64_t hash = 0x9e3779b97f4a7c15ULL ^ line.size();
    std::size_t pos = 0;
    for (; pos + 8 <= line.size(); pos += 8) {
        std::uint64_t word;
        std::memcpy(&word, line.data() + pos, 8);
        hash = fold_multiply(hash ^ word, 0xa0761d6478bd642fULL);
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, line.data() + pos, line.size() - pos);
    return fold_multiply(hash ^ tail, 0xe7037ed1a0b428dbULL);
}

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) {
    hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
    return hash;
}

imap::StreamFramer::Options framer_options(imap::StreamFramer::Direction direction) {
    return {.direction = direction,
            .max_line = kObservedMaxLine,
            .max_literal = protocol::limits::kMaxRelayLiteral};
}

}  // namespace

ImapCacheObserver::ImapCacheObserver(store::Owner owner, Submit submit, Options options,
                                     Generation generation)
    : owner_(std::move(owner)),
      submit_(std::move(submit)),
      options_(options),
      client_framer_(framer_options(imap::StreamFramer::Direction::ClientToServer)),
      parser_(imap::kMaxFetchMetadataBytes, imap::ResponseUnitParser::EnvelopeReading::RawOnly),
      generation_(std::move(generation)) {}

Relay::Filter ImapCacheObserver::client_filter(std::shared_ptr<ImapCacheObserver> observer) {
    return [observer](std::string_view in, RelayOutput& out) {
        out.append(in);
        observer->client_bytes(in);
    };
}

std::optional<std::uint32_t> ImapCacheObserver::uid_at(std::uint32_t sequence) const {
    if (!selection_ || !selection_->map_valid || sequence == 0 || sequence > uids_.size())
        return std::nullopt;
    std::uint32_t uid = uids_[sequence - 1];
    if (uid == 0) return std::nullopt;
    return uid;
}

// Client → upstream.

void ImapCacheObserver::client_bytes(std::string_view bytes) {
    if (stopped_) return;
    client_framer_.feed(bytes, [this](const StreamEvent& event) { on_client_event(event); });
}

void ImapCacheObserver::on_client_event(const StreamEvent& event) {
    if (stopped_) return;
    switch (event.kind) {
        case StreamEvent::Kind::NeedMore:
            return;
        case StreamEvent::Kind::Error:
            if (!event.stream_usable) stop("the client stream cannot be framed: " + event.error);
            return;
        case StreamEvent::Kind::LiteralBody:
            if (collecting_) {
                if (command_.size() + event.bytes.size() > options_.max_command)
                    collecting_ = false;
                else
                    command_.append(event.bytes);
            }
            return;
        case StreamEvent::Kind::LineSegment:
            break;
    }
    if (event.starts_unit) {
        collecting_ = false;
        command_.clear();
        auto head = imap::peek_command(event.bytes);
        if (!head) return;
        if (outstanding_.size() >= options_.max_outstanding) {
            stop("more than " + std::to_string(options_.max_outstanding) +
                 " commands await a reply");
            return;
        }
        Command command;
        command.tag = head->tag;
        switch (head->kind) {
            case imap::MailboxCommandKind::Select:
                command.kind = Kind::Select;
                break;
            case imap::MailboxCommandKind::Examine:
                command.kind = Kind::Examine;
                break;
            case imap::MailboxCommandKind::Rename:
                command.kind = Kind::Rename;
                break;
            case imap::MailboxCommandKind::Delete:
                command.kind = Kind::Delete;
                break;
            case imap::MailboxCommandKind::Other:
                if (head->name == "CLOSE" && !head->uid)
                    command.kind = Kind::Close;
                else if (head->name == "UNSELECT" && !head->uid)
                    command.kind = Kind::Unselect;
                else if (head->name == "STORE")
                    command.kind = Kind::Store;
                break;
        }
        collecting_ = command.kind == Kind::Select || command.kind == Kind::Examine ||
                      command.kind == Kind::Rename || command.kind == Kind::Delete;
        outstanding_.push_back(std::move(command));
    }
    if (collecting_) {
        if (command_.size() + event.bytes.size() > options_.max_command)
            collecting_ = false;
        else
            command_.append(event.bytes);
    }
    if (!event.ends_unit || outstanding_.empty()) return;
    Command& last = outstanding_.back();
    if (last.complete) return;
    last.complete = true;
    if (collecting_) {
        auto parsed = imap::parse_mailbox_command(command_);
        if (parsed && parsed->head.tag == last.tag) {
            last.mailbox = std::move(parsed->mailbox);
            last.new_name = std::move(parsed->new_name);
        }
    }
    collecting_ = false;
    command_.clear();
    begin_selection_if_due();
}

// A SELECT/EXAMINE at the head of the queue owns what the upstream says next; the previous
// mailbox is no longer selected from then on, whatever the outcome.
void ImapCacheObserver::begin_selection_if_due() {
    if (outstanding_.empty()) return;
    Command& front = outstanding_.front();
    if ((front.kind != Kind::Select && front.kind != Kind::Examine) || front.started ||
        !front.complete)
        return;
    front.started = true;
    uids_.clear();
    forget_lines();
    selected_name_.reset();
    selection_.reset();
    if (!front.mailbox) return;
    Selection selection;
    selection.mailbox = *front.mailbox;
    selection.read_only = front.kind == Kind::Examine;
    selection_ = std::move(selection);
}

// Upstream → client.

void ImapCacheObserver::upstream_event(const StreamEvent& event) {
    if (stopped_) return;
    pending_line_.reset();
    if (generation_ && event.kind == StreamEvent::Kind::LineSegment && event.starts_unit &&
        event.ends_unit) {
        if (auto sequence = fetch_sequence(event.bytes)) {
            const std::uint64_t hash = line_hash(event.bytes);
            if (*sequence <= lines_.size() && lines_[*sequence - 1] != 0 &&
                line_fingerprint(*sequence, hash) == lines_[*sequence - 1]) {
                ++passed_over_;
                return;  // the same response as last time, and the cache has not moved since
            }
            pending_line_ = PendingLine{*sequence, hash};
        }
    }
    switch (event.kind) {
        case StreamEvent::Kind::NeedMore:
            return;
        case StreamEvent::Kind::Error:
            stop("the upstream stream cannot be framed: " + event.error);
            return;
        case StreamEvent::Kind::LiteralBody:
            parser_.literal(event.bytes);
            return;
        case StreamEvent::Kind::LineSegment:
            parser_.segment(event.bytes);
            if (!event.ends_unit) return;
            auto unit = parser_.finish();
            if (unit) on_unit(std::move(*unit));
            return;
    }
}

void ImapCacheObserver::on_unit(imap::ResponseUnit unit) {
    if (auto* fetch = std::get_if<imap::FetchData>(&unit))
        on_fetch(*fetch);
    else if (auto* exists = std::get_if<imap::Exists>(&unit))
        on_exists(exists->count);
    else if (auto* expunge = std::get_if<imap::Expunge>(&unit))
        on_expunge(expunge->sequence);
    else if (auto* vanished = std::get_if<imap::Vanished>(&unit))
        on_vanished(*vanished);
    else if (auto* status = std::get_if<imap::StatusResponse>(&unit))
        on_status(*status);
}

void ImapCacheObserver::on_status(const imap::StatusResponse& status) {
    if (!status.tag.empty()) {
        on_tagged(status);
        return;
    }
    if (!selection_ || status.status != imap::ResponseStatus::Ok) return;
    Selection& s = *selection_;
    if (status.code == "READ-ONLY") {
        s.read_only = true;
    } else if (status.code == "UIDVALIDITY" && status.code_number &&
               *status.code_number <= UINT32_MAX) {
        auto uidvalidity = static_cast<std::uint32_t>(*status.code_number);
        if (s.uidvalidity && *s.uidvalidity != uidvalidity) {
            // The mailbox was recreated under us: every UID we knew is void.
            std::fill(uids_.begin(), uids_.end(), 0);
            forget_lines();
            s.state_sent = false;
        }
        s.uidvalidity = uidvalidity;
        if (s.state_sent == false && selected_name_) send_state();
    } else if (status.code == "UIDNEXT" && status.code_number &&
               *status.code_number <= UINT32_MAX) {
        s.uidnext = static_cast<std::uint32_t>(*status.code_number);
    } else if (status.code == "HIGHESTMODSEQ" && status.code_number) {
        s.highestmodseq = *status.code_number;
    }
}

void ImapCacheObserver::on_tagged(const imap::StatusResponse& status) {
    auto it = std::find_if(outstanding_.begin(), outstanding_.end(),
                           [&](const Command& c) { return c.tag == status.tag; });
    if (it == outstanding_.end()) return;
    Command command = std::move(*it);
    outstanding_.erase(it);
    const bool ok = status.status == imap::ResponseStatus::Ok;
    if (!ok && !command.complete && client_framer_.awaiting_sync_literal()) {
        // The client will not send the literal the server refused.
        client_framer_.abandon_literal();
        collecting_ = false;
        command_.clear();
    }
    switch (command.kind) {
        case Kind::Select:
        case Kind::Examine:
            if (ok && command.started && selection_ && command.mailbox &&
                selection_->mailbox == *command.mailbox) {
                selected_name_ = selection_->mailbox;
                send_state();
            } else {
                // Refused (nothing is selected now) or not followed: trust nothing.
                selection_.reset();
                selected_name_.reset();
                uids_.clear();
                forget_lines();
            }
            break;
        case Kind::Close:
        case Kind::Unselect:
            if (!ok) break;
            if (command.kind == Kind::Close && selection_ && !selection_->read_only &&
                selection_->maybe_deleted)
                mark_stale(selection_->mailbox);
            selection_.reset();
            selected_name_.reset();
            uids_.clear();
            forget_lines();
            break;
        case Kind::Store:
            if (selection_) selection_->maybe_deleted = true;
            break;
        case Kind::Rename:
            if (!ok || !command.mailbox) break;
            if (is_inbox(*command.mailbox)) {
                // Renaming INBOX moves its messages to a new mailbox with new UIDs.
                submit(store::update::DeleteMailbox{owner_, *command.mailbox});
                break;
            }
            submit(store::update::RenameMailbox{owner_, *command.mailbox, command.new_name});
            if (selection_ && same_mailbox(selection_->mailbox, *command.mailbox)) {
                forget_lines();
                selection_->mailbox = command.new_name;
                if (selected_name_) selected_name_ = command.new_name;
            }
            break;
        case Kind::Delete:
            if (!ok || !command.mailbox) break;
            submit(store::update::DeleteMailbox{owner_, *command.mailbox});
            break;
        case Kind::Other:
            break;
    }
    begin_selection_if_due();
}

void ImapCacheObserver::on_fetch(imap::FetchData& fetch) {
    if (!selection_) return;
    drop_recent(fetch);
    Selection& s = *selection_;
    if (has_deleted_flag(fetch)) s.maybe_deleted = true;
    std::optional<std::uint32_t> uid = fetch.uid;
    if (uid && *uid != 0 && s.map_valid && fetch.sequence != 0) {
        if (fetch.sequence > uids_.size()) {
            if (fetch.sequence > options_.max_messages) {
                invalidate_map();
            } else {
                uids_.resize(fetch.sequence, 0);
            }
        }
        if (s.map_valid) uids_[fetch.sequence - 1] = *uid;
    }
    if (!uid) uid = uid_at(fetch.sequence);
    if (!uid || *uid == 0) {
        // A change we cannot place: the cache may now be behind.
        if (carries_data(fetch)) mark_stale(s.mailbox);
        return;
    }
    if (!s.uidvalidity) return;
    auto message = store::message_update_from_fetch(std::move(fetch), uid);
    if (!message) return;
    if (!s.state_sent) send_state();
    const bool taken = submit_ && submit_(store::update::UpsertMessage{
                                      owner_, s.mailbox, *s.uidvalidity, std::move(*message)});
    if (taken && pending_line_ && pending_line_->sequence == fetch.sequence)
        remember_line(fetch.sequence);
}

// What makes a one-line FETCH response produce the same cache update again: its bytes, the UID
// its sequence number maps to, the mailbox's UIDVALIDITY — and a cache that has not moved since
// (the generation). nullopt when the response could not be placed without parsing it.
std::optional<std::uint64_t> ImapCacheObserver::line_fingerprint(std::uint32_t sequence,
                                                                 std::uint64_t line_hash) const {
    if (!selection_ || !selection_->uidvalidity || !selection_->state_sent) return std::nullopt;
    auto uid = uid_at(sequence);
    if (!uid) return std::nullopt;
    std::uint64_t fingerprint =
        mix(mix(mix(line_hash, *uid), *selection_->uidvalidity), generation_());
    return fingerprint == 0 ? 1 : fingerprint;
}

void ImapCacheObserver::remember_line(std::uint32_t sequence) {
    auto fingerprint = line_fingerprint(sequence, pending_line_->hash);
    if (!fingerprint || sequence > options_.max_remembered_lines) return;
    if (sequence > lines_.size()) lines_.resize(std::max<std::size_t>(sequence, uids_.size()), 0);
    lines_[sequence - 1] = *fingerprint;
}

void ImapCacheObserver::forget_lines() {
    lines_.clear();
    if (lines_.capacity() > 4096) lines_.shrink_to_fit();
}

void ImapCacheObserver::on_exists(std::uint32_t count) {
    if (!selection_ || !selection_->map_valid) return;
    if (count > options_.max_messages || count < uids_.size()) {
        invalidate_map();
        return;
    }
    uids_.resize(count, 0);
}

void ImapCacheObserver::on_expunge(std::uint32_t sequence) {
    if (!selection_) return;
    Selection& s = *selection_;
    if (!s.map_valid || sequence == 0 || sequence > uids_.size()) {
        invalidate_map();
        return;
    }
    std::uint32_t uid = uids_[sequence - 1];
    uids_.erase(uids_.begin() + (sequence - 1));
    forget_lines();  // later sequence numbers moved
    if (uid == 0) {
        mark_stale(s.mailbox);
        return;
    }
    submit(store::update::DeleteMessages{owner_, s.mailbox, {{uid, uid}}});
}

void ImapCacheObserver::on_vanished(const imap::Vanished& vanished) {
    if (!selection_ || vanished.uids.empty()) return;
    Selection& s = *selection_;
    submit(store::update::DeleteMessages{owner_, s.mailbox, vanished.uids});
    if (vanished.earlier || !s.map_valid) return;
    forget_lines();  // sequence numbers move
    std::vector<imap::UidRange> ranges = vanished.uids;
    std::sort(ranges.begin(), ranges.end(),
              [](const imap::UidRange& a, const imap::UidRange& b) { return a.first < b.first; });
    std::uint64_t announced = 0;
    for (const auto& range : ranges) announced += std::uint64_t{range.last} - range.first + 1;
    auto vanishes = [&ranges](std::uint32_t uid) {
        auto after = std::upper_bound(
            ranges.begin(), ranges.end(), uid,
            [](std::uint32_t value, const imap::UidRange& r) { return value < r.first; });
        return after != ranges.begin() && uid <= std::prev(after)->last;
    };
    const std::size_t before = uids_.size();
    bool unknown = false;
    uids_.erase(std::remove_if(uids_.begin(), uids_.end(),
                               [&](std::uint32_t uid) {
                                   if (uid == 0) unknown = true;
                                   return uid != 0 && vanishes(uid);
                               }),
                uids_.end());
    // Some vanished UIDs were not in the map: if it has unknown entries, which ones went is
    // unknown.
    if (unknown && before - uids_.size() < announced) invalidate_map();
}

bool ImapCacheObserver::send_state() {
    if (!selection_ || !selection_->uidvalidity) return false;
    Selection& s = *selection_;
    s.state_sent = true;
    submit(
        store::update::MailboxState{owner_, s.mailbox, s.uidvalidity, s.uidnext, s.highestmodseq});
    return true;
}

void ImapCacheObserver::mark_stale(const std::string& mailbox) {
    if (selection_ && selection_->mailbox == mailbox) {
        if (selection_->stale_sent) return;
        selection_->stale_sent = true;
    }
    submit(store::update::MarkStale{owner_, mailbox});
}

void ImapCacheObserver::invalidate_map() {
    if (!selection_) return;
    selection_->map_valid = false;
    uids_.clear();
    uids_.shrink_to_fit();
    forget_lines();
    mark_stale(selection_->mailbox);
}

void ImapCacheObserver::stop(std::string_view reason) {
    spdlog::debug("imap cache: no longer observing this session ({})", reason);
    if (selection_) mark_stale(selection_->mailbox);
    stopped_ = true;
    selection_.reset();
    selected_name_.reset();
    outstanding_.clear();
    uids_.clear();
    uids_.shrink_to_fit();
    forget_lines();
    command_.clear();
}

void ImapCacheObserver::submit(store::CacheUpdate update) {
    if (submit_) submit_(std::move(update));
}

}  // namespace mb::session
