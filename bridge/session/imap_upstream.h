// ImapUpstream: the bridge's client role toward one upstream IMAP server for one session:
// connect (TCP + implicit TLS, or plain + STARTTLS), read the greeting and CAPABILITY, then
// AUTHENTICATE XOAUTH2/OAUTHBEARER with a token. prepare() may run before the client logs in, so
// the handshakes overlap the client's own greeting and LOGIN. Owned by its ImapSession; destroying
// it cancels everything and no callback runs afterwards.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/net/byte_stream.h"
#include "bridge/net/upstream_dialer.h"
#include "bridge/net/uv_handle.h"
#include "bridge/session/upstream_failure.h"
#include "protocol/line_framer.h"
#include "protocol/sasl/bearer.h"
#include "protocol/secret.h"

namespace mb::session {

struct UpstreamError {
    UpstreamFailure failure = UpstreamFailure::protocol;
    std::string message;        // what failed, for the client and the log
    std::string response_code;  // the upstream's response code on a NO, e.g. AUTHENTICATIONFAILED
};

class ImapUpstream {
  public:
    struct Settings {
        net::DialTarget target;
        bool starttls = false;
        std::chrono::milliseconds timeout{10000};  // connect_timeout, per phase
        config::SaslMechanism sasl = config::SaslMechanism::auto_select;
    };
    using PreparedHandler = std::function<void(const std::optional<UpstreamError>&)>;
    // On success: the upstream's tagged OK line (CRLF included), for the client.
    using AuthHandler = std::function<void(Result<std::string> ok_line, UpstreamError error)>;

    ImapUpstream(uv_loop_t* loop, Settings settings);
    ~ImapUpstream();
    ImapUpstream(const ImapUpstream&) = delete;
    ImapUpstream& operator=(const ImapUpstream&) = delete;

    // Connects and reads the capabilities; `done` runs once.
    void prepare(PreparedHandler done);
    bool ready() const { return state_ == State::ready; }
    bool preparing() const {
        return state_ != State::idle && state_ != State::ready && state_ != State::failed;
    }

    // Requires ready(). The server may refuse and the connection stays usable for another try.
    void authenticate(const std::string& user, const Secret& token, AuthHandler done);

    // After a successful authenticate(): the stream (not reading, no handlers) and the bytes the
    // upstream sent after its tagged OK.
    std::unique_ptr<net::ByteStream> take_stream();
    std::string take_leftover() { return std::move(leftover_); }
    protocol::sasl::BearerMechanism mechanism() const { return mechanism_; }
    const net::DialTimings& timings() const { return dialer_.timings(); }

  private:
    enum class State {
        idle,
        dialing,
        greeting,
        starttls,
        tls_handshake,
        capability,
        ready,
        authenticating,
        authenticated,
        failed
    };

    void adopt(std::unique_ptr<net::ByteStream> stream);
    void on_data(std::string_view bytes);
    void on_line(std::string_view line, std::string_view raw, std::string_view rest);
    void on_greeting(std::string_view line);
    void on_starttls_answer(std::string_view line);
    void on_capability_line(std::string_view line);
    void on_auth_line(std::string_view line, std::string_view rest);
    void send_command(std::string command);
    void arm_timer(const char* phase);
    void fail(UpstreamFailure failure, std::string message, std::string code = {});
    std::string next_tag();
    std::string where() const;

    uv_loop_t* loop_;
    Settings settings_;
    net::UpstreamDialer dialer_;
    std::unique_ptr<net::ByteStream> stream_;
    protocol::LineFramer framer_;
    net::UvHandle<uv_timer_t> timer_;
    State state_ = State::idle;
    std::string pending_tag_;
    unsigned tag_counter_ = 0;
    std::vector<std::string> capabilities_;
    bool have_capabilities_ = false;
    PreparedHandler prepared_;
    AuthHandler auth_done_;
    std::optional<Secret> initial_response_;  // sent after an empty "+" when no SASL-IR
    bool error_answered_ = false;
    std::string leftover_;
    protocol::sasl::BearerMechanism mechanism_ = protocol::sasl::BearerMechanism::Xoauth2;
    std::string phase_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mb::session
