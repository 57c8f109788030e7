// ImapCommandTracker implementation: the first segment of each command is peeked for its tag and
// name; a mailbox command is collected whole (segments and literal bodies) and parsed when it
// ends.
#include "bridge/session/imap_command_tracker.h"

#include <algorithm>

#include "protocol/imap/command_parser.h"

namespace mb::session {
namespace imap = protocol::imap;
using imap::StreamEvent;

namespace {

ImapCommandTracker::Kind kind_of(const imap::CommandHead& head) {
    using Kind = ImapCommandTracker::Kind;
    switch (head.kind) {
        case imap::MailboxCommandKind::Select:
            return Kind::Select;
        case imap::MailboxCommandKind::Examine:
            return Kind::Examine;
        case imap::MailboxCommandKind::Rename:
            return Kind::Rename;
        case imap::MailboxCommandKind::Delete:
            return Kind::Delete;
        case imap::MailboxCommandKind::Other:
            break;
    }
    if (head.name == "CLOSE" && !head.uid) return Kind::Close;
    if (head.name == "UNSELECT" && !head.uid) return Kind::Unselect;
    if (head.name == "STORE") return Kind::Store;
    return Kind::Other;
}

bool names_a_mailbox(ImapCommandTracker::Kind kind) {
    using Kind = ImapCommandTracker::Kind;
    return kind == Kind::Select || kind == Kind::Examine || kind == Kind::Rename ||
           kind == Kind::Delete;
}

}  // namespace

void ImapCommandTracker::collect(std::string_view bytes) {
    if (!collecting_) return;
    if (command_.size() + bytes.size() > options_.max_command)
        collecting_ = false;
    else
        command_.append(bytes);
}

ImapCommandTracker::Step ImapCommandTracker::on_event(const StreamEvent& event) {
    switch (event.kind) {
        case StreamEvent::Kind::NeedMore:
            return Step::Nothing;
        case StreamEvent::Kind::Error:
            if (event.stream_usable) return Step::Nothing;
            failure_ = "the client stream cannot be framed: " + event.error;
            return Step::Failed;
        case StreamEvent::Kind::LiteralBody:
            collect(event.bytes);
            return Step::Nothing;
        case StreamEvent::Kind::LineSegment:
            break;
    }
    if (event.starts_unit) {
        collecting_ = false;
        command_.clear();
        auto head = imap::peek_command(event.bytes);
        if (!head) return Step::Nothing;
        if (outstanding_.size() >= options_.max_outstanding) {
            failure_ =
                "more than " + std::to_string(options_.max_outstanding) + " commands await a reply";
            return Step::Failed;
        }
        Command command;
        command.tag = head->tag;
        command.kind = kind_of(*head);
        collecting_ = names_a_mailbox(command.kind);
        outstanding_.push_back(std::move(command));
    }
    collect(event.bytes);
    if (!event.ends_unit || outstanding_.empty()) return Step::Nothing;
    Command& last = outstanding_.back();
    if (last.complete) return Step::Nothing;
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
    return Step::Completed;
}

std::optional<ImapCommandTracker::Command> ImapCommandTracker::take(std::string_view tag) {
    auto it = std::find_if(outstanding_.begin(), outstanding_.end(),
                           [&](const Command& c) { return c.tag == tag; });
    if (it == outstanding_.end()) return std::nullopt;
    Command command = std::move(*it);
    outstanding_.erase(it);
    return command;
}

void ImapCommandTracker::clear() {
    outstanding_.clear();
    collecting_ = false;
    command_.clear();
}

}  // namespace mb::session
