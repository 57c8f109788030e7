// SmtpRelayFilter: both filters of an SMTP relay after login, sharing one state. Client→upstream
// it frames commands (bare LF refused) and, after a 354, message bodies with DataTerminator, so a
// body line is never read as a command; upstream→client it frames whole replies and pairs them
// with the commands through TransactionTracker. Rules it keeps:
// - the client only ever gets the upstream's own replies to its commands and messages (a 250 for
//   a message is the upstream's 250), each reply whole, in order;
// - commands the relay must not forward are answered locally, in order with the upstream's
//   replies: AUTH, STARTTLS, BDAT (its chunk is skipped), lines that are too long, carry a bare LF
//   or a NUL; an EHLO answer is rewritten to the extensions the bridge relays;
// - a body with a bare LF or CR is never finished: the upstream connection is dropped before its
//   end-of-data (the upstream discards the partial message) and the client gets a 554 then 421;
// - when the upstream ends the session, goodbye_on_upstream_close() gives the client a 4xx that
//   says whether a message was in flight (never a 2xx).
// Input that cannot be sent yet (after DATA until its 354, or with too many replies pending) is
// held, up to max_held bytes. Owned by the session through a shared_ptr that the two Relay
// filters also hold; the Io callbacks write to streams the Relay owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "bridge/session/relay.h"
#include "protocol/line_framer.h"
#include "protocol/smtp/command_parser.h"
#include "protocol/smtp/data_terminator.h"
#include "protocol/smtp/reply_parser.h"
#include "protocol/smtp/transaction_tracker.h"

namespace mb::session {

class SmtpRelayFilter {
  public:
    struct Io {
        // Direct writes, used only when the bytes do not belong to the direction being filtered.
        std::function<void(std::string_view)> write_client;
        std::function<void(std::string_view)> write_upstream;
        std::function<std::size_t()> client_queued_bytes;
        // Drop the upstream connection at once (no queued byte may follow); the Relay then asks
        // goodbye_on_upstream_close() what to tell the client and closes it.
        std::function<void()> abort_upstream;
    };
    struct Options {
        std::string domain = "mailbridge";         // first line of rewritten EHLO answers
        std::size_t max_held = 256 * 1024;         // input held while it cannot be sent
        std::size_t max_client_backlog = 1 << 20;  // unread client replies before giving up
    };
    struct Counters {
        std::uint64_t messages_accepted = 0;  // bodies the upstream answered with 2xx
        std::uint64_t messages_refused = 0;   // bodies the upstream answered otherwise
    };

    SmtpRelayFilter(Io io, Options options);

    // Client bytes → `out` (for the upstream); out.held() counts the input held back.
    void from_client(std::string_view in, RelayOutput& out);
    // Upstream bytes → `out` (for the client).
    void from_upstream(std::string_view in, RelayOutput& out);
    // The same, appending a copy to `out`.
    void from_client(std::string_view in, std::string& out);
    void from_upstream(std::string_view in, std::string& out);

    // The client's goodbye when the upstream connection ended (empty when the upstream already
    // said goodbye itself).
    std::string goodbye_on_upstream_close() const;
    bool aborted() const { return aborted_; }
    // True between commands: not inside a message body or a BDAT chunk, no partial command line,
    // nothing held back (QUIT may be said upstream here without touching a transaction's data).
    bool at_command_boundary() const;
    const Counters& counters() const { return counters_; }

    // The two Relay filters (client side, upstream side) sharing `filter`.
    static std::pair<Relay::Filter, Relay::Filter> make(std::shared_ptr<SmtpRelayFilter> filter);

  private:
    enum class Mode { command, body, skip };
    struct Expected {
        bool local = false;
        std::string reply;  // local only
    };

    void consume(std::string_view in);
    bool can_take_command() const;
    void on_command(std::string_view line, std::string_view raw);
    void on_reply(const protocol::smtp::Reply& reply);
    void reply_locally(std::string reply);
    void flush_local_replies();
    void send_client(std::string_view bytes);
    void send_upstream(std::string_view bytes);
    void abort_session(std::string goodbye);
    void hold(std::string_view in);

    Io io_;
    Options options_;
    Mode mode_ = Mode::command;
    protocol::LineFramer command_framer_;
    protocol::smtp::DataTerminator terminator_;
    std::uint64_t skip_ = 0;  // BDAT chunk bytes still to discard
    std::string held_;
    protocol::LineFramer reply_framer_;
    protocol::smtp::ReplyAssembler assembler_;
    std::string reply_raw_;
    protocol::smtp::TransactionTracker tracker_;
    std::deque<Expected> expected_;  // replies the client waits for, upstream's and local, in order
    RelayOutput* client_out_ = nullptr;    // set while filtering upstream→client
    RelayOutput* upstream_out_ = nullptr;  // set while filtering client→upstream
    bool quit_answered_ = false;
    bool upstream_closing_ = false;  // the upstream sent 421
    bool aborted_ = false;
    std::string goodbye_;
    Counters counters_;
};

}  // namespace mb::session
