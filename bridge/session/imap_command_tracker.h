// ImapCommandTracker: follows the framed client→upstream stream of an IMAP relay and keeps the
// commands that await their tagged reply, in the order they were sent, with what the metadata
// cache needs of each: its kind and, for SELECT/EXAMINE/RENAME/DELETE, the mailbox names (read by
// protocol/imap/command_parser from the collected command, at most max_command bytes of it).
// A command whose synchronizing literal the server refused stays incomplete; the framer then
// starts a new unit, and so does the tracker. Pure; owned by one ImapCacheObserver, which decides
// what the replies mean.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/imap/stream_framer.h"

namespace mb::session {

class ImapCommandTracker {
  public:
    enum class Kind { Select, Examine, Rename, Delete, Close, Unselect, Store, Other };
    // A client command awaiting its tagged reply.
    struct Command {
        std::string tag;
        Kind kind = Kind::Other;
        bool complete = false;               // every byte of it was seen
        bool started = false;                // Select/Examine: its responses are arriving
        std::optional<std::string> mailbox;  // nullopt when the name could not be read
        std::string new_name;
    };
    struct Options {
        std::size_t max_outstanding = 1024;   // commands awaiting a reply; past it: failure
        std::size_t max_command = 64 * 1024;  // bytes of a SELECT/EXAMINE/RENAME/DELETE kept
    };
    enum class Step {
        Nothing,    // nothing the owner must act on
        Completed,  // the last command was seen whole
        Failed      // the tracker cannot follow the client any more: see failure()
    };

    explicit ImapCommandTracker(Options options) : options_(options) {}

    // One event of the client stream as StreamFramer (client direction) reports it.
    Step on_event(const protocol::imap::StreamEvent& event);
    const std::string& failure() const { return failure_; }

    // The oldest command awaiting its reply; nullptr when none does.
    Command* front() { return outstanding_.empty() ? nullptr : &outstanding_.front(); }
    // The tagged reply for `tag` arrived: the command leaves the queue. nullopt for an unknown tag.
    std::optional<Command> take(std::string_view tag);
    // Forgets every command (the owner stopped observing).
    void clear();
    std::size_t outstanding() const { return outstanding_.size(); }

  private:
    void collect(std::string_view bytes);

    Options options_;
    std::deque<Command> outstanding_;
    std::string command_;      // a mailbox command being collected
    bool collecting_ = false;  // the client unit in progress is a mailbox command
    std::string failure_;
};

}  // namespace mb::session
