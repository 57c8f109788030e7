// SmtpUpstream: the bridge's client role toward one upstream SMTP submission server for one
// session: greeting → EHLO → [STARTTLS → TLS → EHLO again] → ready → AUTH OAUTHBEARER/XOAUTH2
// (the initial response goes after the 334 when the line would pass 512 octets; the server's
// error challenge is answered so its 535 follows). Success is the 235 reply. The session learns
// the upstream's EHLO capabilities through `on_capabilities` (to build its own EHLO answer).
// Owned by an UpstreamLogin; destroying it cancels everything and no callback runs afterwards.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "bridge/config/config_model.h"
#include "bridge/session/upstream_conversation.h"
#include "protocol/smtp/ehlo_capabilities.h"
#include "protocol/smtp/reply_parser.h"

namespace mb::session {

class SmtpUpstream final : public UpstreamConversation {
  public:
    // Runs when the upstream became ready (with its EHLO capabilities after TLS) or failed before
    // that (nullopt). It must not destroy the SmtpUpstream.
    using CapabilitiesObserver =
        std::function<void(const std::optional<protocol::smtp::EhloCapabilities>&)>;

    // `ehlo_domain`: the name the bridge gives in its EHLO commands.
    SmtpUpstream(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl,
                 std::string ehlo_domain, CapabilitiesObserver on_capabilities);

    void prepare(PreparedHandler done) override;
    bool ready() const override { return state_ == State::ready; }
    bool preparing() const override {
        return state_ != State::idle && state_ != State::ready && state_ != State::failed;
    }

  private:
    enum class State {
        idle,
        greeting,
        ehlo,
        starttls,
        ready,
        authenticating,
        authenticated,
        failed
    };

    void on_connected() override;
    void on_tls_ready() override;
    void on_line(std::string_view line, std::string_view raw, std::string_view rest) override;
    void on_failed(const UpstreamError& error) override;
    SaslOffer sasl_offer() const override;
    // "AUTH <mechanism>" with the response inline when the line is short enough, else the
    // response waits for the server's empty "334" (smtp::auth_command decides; servers reject
    // long AUTH lines). Without PLAIN or LOGIN the base class refuses the password login.
    std::optional<Secret> send_auth_command(std::string_view mechanism,
                                            std::optional<Secret> initial) override;

    void on_greeting(const protocol::smtp::Reply& reply);
    void on_ehlo_reply(const protocol::smtp::Reply& reply);
    void on_starttls_reply(const protocol::smtp::Reply& reply);
    void on_auth_reply(const protocol::smtp::Reply& reply, std::string reply_raw,
                       std::string_view rest);
    void send_ehlo();
    void become_ready();
    std::string ehlo_domain_;
    CapabilitiesObserver on_capabilities_;
    State state_ = State::idle;
    protocol::smtp::ReplyAssembler assembler_;
    std::string reply_raw_;  // the lines of the reply being assembled, CRLF included
    protocol::smtp::EhloCapabilities capabilities_;
};

}  // namespace mb::session
