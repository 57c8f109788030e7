// Pop3Upstream: the bridge's client role toward one upstream POP3 server: greeting → CAPA →
// [STLS → TLS → CAPA] → ready → AUTH OAUTHBEARER/XOAUTH2 (the initial response inline when the
// line fits 255 octets, else after "+ "; answers the error challenge so the -ERR follows).
#pragma once

#include <string>

#include "bridge/config/config_model.h"
#include "bridge/session/upstream_conversation.h"
#include "protocol/pop3/response_parser.h"

namespace mb::session {

class Pop3Upstream final : public UpstreamConversation {
  public:
    Pop3Upstream(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl);

    void prepare(PreparedHandler done) override;
    bool ready() const override { return state_ == State::ready; }
    bool preparing() const override {
        return state_ != State::idle && state_ != State::ready && state_ != State::failed;
    }
    // The upstream's capabilities (after TLS), valid once ready().
    const protocol::pop3::Capabilities& capabilities() const { return capabilities_; }

  private:
    enum class State { idle, greeting, capa, stls, ready, authenticating, authenticated, failed };

    void on_connected() override;
    void on_tls_ready() override;
    void on_line(std::string_view line, std::string_view raw, std::string_view rest) override;
    void on_failed(const UpstreamError&) override { state_ = State::failed; }
    SaslOffer sasl_offer() const override;
    // "AUTH <mechanism>" with the response inline when the line fits 255 octets (else it waits
    // for the server's empty challenge: pop3::auth_command decides).
    std::optional<Secret> send_auth_command(std::string_view mechanism,
                                            std::optional<Secret> initial) override;
    // USER, then PASS after its +OK.
    bool send_password_login(const std::string& user, const Secret& password) override;

    void request_capabilities();
    void on_capa_line(std::string_view line, std::string_view raw);
    void on_auth_line(std::string_view line, std::string_view rest);
    void become_ready();
    State state_ = State::idle;
    std::string capa_text_;
    bool capa_started_ = false;
    protocol::pop3::Capabilities capabilities_;
    std::optional<Secret> pass_line_;  // USER/PASS: "PASS …" after the USER's +OK
};

}  // namespace mb::session
