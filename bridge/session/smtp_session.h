// SmtpSession: one local SMTP submission client on the shared ClientSession lifecycle. Before
// login an SmtpPreLoginDialogue speaks for the bridge (its EHLO answer waits until the upstream
// is prepared, so it offers only what the upstream supports); this class carries out its actions
// (replies, local STARTTLS, the login through UpstreamLogin) and, after AUTH, relays the session
// through an SmtpRelayFilter.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bridge/net/uv_timer.h"
#include "bridge/session/client_session.h"
#include "bridge/session/smtp_relay_filter.h"
#include "protocol/smtp/ehlo_capabilities.h"
#include "protocol/smtp/prelogin_dialogue.h"

namespace mb::session {

class SmtpSession final : public ClientSession {
  public:
    SmtpSession(std::shared_ptr<const SessionServices> services,
                std::unique_ptr<net::ByteStream> client, SessionHost& host);

  private:
    // Daemon stop or account removal: a 421 4.3.2 naming `reason`.
    std::string goodbye(std::string_view reason) override;
    std::string idle_goodbye(std::string_view what) override;
    protocol::PreLoginDialogue& prelogin_dialogue() override { return dialogue_; }
    void on_started(bool upstream_dialing) override;
    // The 235, then the relay with an SmtpRelayFilter (commands pipelined after AUTH go through
    // it first).
    void on_logged_in(LoginSuccess success, std::string answer, std::string pipelined) override;

    std::unique_ptr<UpstreamClient> make_upstream(const config::AccountSettings* account);
    void on_upstream_capabilities(const std::optional<protocol::smtp::EhloCapabilities>& caps);
    void resume_soon();

    std::string domain_;  // this host's name, in the greeting and EHLO answers
    protocol::smtp::SmtpPreLoginDialogue dialogue_;
    std::shared_ptr<SmtpRelayFilter> filter_;
    net::UvTimer resume_timer_;
};

}  // namespace mb::session
