// ImapCacheObserver implementation. Client commands are queued in the order they were sent; a
// SELECT/EXAMINE takes over the untagged responses once every command before it has its tagged
// reply, and its tagged OK (or NO) decides what is selected. Each upstream response unit, as the
// relay's framer cuts it, is parsed (literal bodies counted and dropped by the parser).
#include "bridge/session/imap_cache_observer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mb::session {
namespace imap = protocol::imap;
using imap::StreamEvent;

namespace {

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

}  // namespace

ImapCacheObserver::ImapCacheObserver(store::Owner owner, Submit submit, Options options,
                                     Generation generation)
    : owner_(std::move(owner)),
      submit_(std::move(submit)),
      generation_(std::move(generation)),
      commands_({.max_outstanding = options.max_outstanding, .max_command = options.max_command}),
      parser_(imap::kMaxFetchMetadataBytes, imap::ResponseUnitParser::EnvelopeReading::RawOnly),
      map_(options.max_messages),
      lines_(options.max_remembered_lines) {}

std::optional<std::uint32_t> ImapCacheObserver::uid_at(std::uint32_t sequence) const {
    if (!selection_) return std::nullopt;
    return map_.uid_at(sequence);
}

// Client → upstream.

void ImapCacheObserver::client_event(const StreamEvent& event) {
    if (stopped_) return;
    switch (commands_.on_event(event)) {
        case ImapCommandTracker::Step::Nothing:
            return;
        case ImapCommandTracker::Step::Failed:
            stop(commands_.failure());
            return;
        case ImapCommandTracker::Step::Completed:
            begin_selection_if_due();
            return;
    }
}

// A SELECT/EXAMINE at the head of the queue owns what the upstream says next; the previous
// mailbox is no longer selected from then on, whatever the outcome.
void ImapCacheObserver::begin_selection_if_due() {
    Command* front = commands_.front();
    if (!front || (front->kind != Kind::Select && front->kind != Kind::Examine) || front->started ||
        !front->complete)
        return;
    front->started = true;
    clear_selection();
    if (!front->mailbox) return;
    Selection selection;
    selection.mailbox = *front->mailbox;
    selection.read_only = front->kind == Kind::Examine;
    selection_ = std::move(selection);
}

// Nothing is selected: no map, no remembered lines.
void ImapCacheObserver::clear_selection() {
    selection_.reset();
    selected_name_.reset();
    map_.reset();
    lines_.forget();
}

// Upstream → client.

void ImapCacheObserver::upstream_event(const StreamEvent& event) {
    if (stopped_) return;
    pending_line_.reset();
    if (generation_ && event.kind == StreamEvent::Kind::LineSegment && event.starts_unit &&
        event.ends_unit) {
        if (auto line = ImapLineMemo::identify(event.bytes)) {
            const std::uint64_t remembered = lines_.remembered(line->sequence);
            if (remembered != 0 && line_fingerprint(line->sequence, line->hash) == remembered) {
                ++passed_over_;
                return;  // the same response as last time, and the cache has not moved since
            }
            pending_line_ = line;
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
            map_.forget_uids();
            lines_.forget();
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
    std::optional<Command> taken = commands_.take(status.tag);
    if (!taken) return;
    Command command = std::move(*taken);
    // A refused synchronizing literal: ImapCommandFilter abandons it, and the tracker starts
    // over with the client's next command.
    const bool ok = status.status == imap::ResponseStatus::Ok;
    switch (command.kind) {
        case Kind::Select:
        case Kind::Examine:
            if (ok && command.started && selection_ && command.mailbox &&
                selection_->mailbox == *command.mailbox) {
                selected_name_ = selection_->mailbox;
                send_state();
            } else {
                // Refused (nothing is selected now) or not followed: trust nothing.
                clear_selection();
            }
            break;
        case Kind::Close:
        case Kind::Unselect:
            if (!ok) break;
            if (command.kind == Kind::Close && selection_ && !selection_->read_only &&
                selection_->maybe_deleted)
                mark_stale(selection_->mailbox);
            clear_selection();
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
                lines_.forget();
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
    if (uid && !map_.record(fetch.sequence, *uid)) invalidate_map();
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
    if (taken && pending_line_ && pending_line_->sequence == fetch.sequence) {
        if (auto fingerprint = line_fingerprint(fetch.sequence, pending_line_->hash))
            lines_.remember(fetch.sequence, *fingerprint, map_.size());
    }
}

// The fingerprint a one-line FETCH response for `sequence` has now (see ImapLineMemo); nullopt
// when the response could not be placed without parsing it.
std::optional<std::uint64_t> ImapCacheObserver::line_fingerprint(std::uint32_t sequence,
                                                                 std::uint64_t line_hash) const {
    if (!selection_ || !selection_->uidvalidity || !selection_->state_sent) return std::nullopt;
    auto uid = uid_at(sequence);
    if (!uid) return std::nullopt;
    return ImapLineMemo::fingerprint(line_hash, *uid, *selection_->uidvalidity, generation_());
}

void ImapCacheObserver::on_exists(std::uint32_t count) {
    if (selection_ && !map_.exists(count)) invalidate_map();
}

void ImapCacheObserver::on_expunge(std::uint32_t sequence) {
    if (!selection_) return;
    std::optional<std::uint32_t> uid = map_.expunge(sequence);
    if (!uid) {
        invalidate_map();
        return;
    }
    lines_.forget();  // later sequence numbers moved
    if (*uid == 0) {
        mark_stale(selection_->mailbox);
        return;
    }
    submit(store::update::DeleteMessages{owner_, selection_->mailbox, {{*uid, *uid}}});
}

void ImapCacheObserver::on_vanished(const imap::Vanished& vanished) {
    if (!selection_ || vanished.uids.empty()) return;
    submit(store::update::DeleteMessages{owner_, selection_->mailbox, vanished.uids});
    if (vanished.earlier || !map_.valid()) return;
    lines_.forget();  // sequence numbers move
    if (!map_.vanish(vanished.uids)) invalidate_map();
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
    map_.invalidate();
    lines_.forget();
    mark_stale(selection_->mailbox);
}

void ImapCacheObserver::stop(std::string_view reason) {
    spdlog::debug("imap cache: no longer observing this session ({})", reason);
    if (selection_) mark_stale(selection_->mailbox);
    stopped_ = true;
    clear_selection();
    map_.release();
    commands_.clear();
}

void ImapCacheObserver::submit(store::CacheUpdate update) {
    if (submit_) submit_(std::move(update));
}

}  // namespace mb::session
