// ImapUpstream: the bridge's client role toward one upstream IMAP server for one session:
// greeting → [STARTTLS → TLS] → CAPABILITY → ready → AUTHENTICATE OAUTHBEARER/XOAUTH2 (SASL-IR
// when offered; answers the server's error continuation so its tagged NO follows).
#pragma once

#include <string>
#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/session/upstream_conversation.h"

namespace mb::session {

class ImapUpstream final : public UpstreamConversation {
  public:
    ImapUpstream(uv_loop_t* loop, Settings settings, config::SaslMechanism sasl);

    void prepare(PreparedHandler done) override;
    bool ready() const override { return state_ == State::ready; }
    bool preparing() const override {
        return state_ != State::idle && state_ != State::ready && state_ != State::failed;
    }
    void use_sasl(config::SaslMechanism setting) override { sasl_ = setting; }
    void authenticate(const std::string& user, const Secret& token, AuthHandler done) override;
    void authenticate_password(const std::string& user, const Secret& password,
                               AuthHandler done) override;

  private:
    enum class State {
        idle,
        greeting,
        capability,
        starttls,
        ready,
        authenticating,
        authenticated,
        failed
    };

    void on_connected() override;
    void on_tls_ready() override;
    void on_line(std::string_view line, std::string_view raw, std::string_view rest) override;
    void on_failed(const UpstreamError&) override { state_ = State::failed; }

    void on_greeting(std::string_view line);
    void on_capability_line(std::string_view line);
    void on_starttls_answer(std::string_view line);
    void on_auth_line(std::string_view line, std::string_view rest);
    // Sends "<tag> AUTHENTICATE <mechanism>" with `response` inline when the upstream offers
    // SASL-IR, otherwise keeps it for the server's empty continuation.
    void send_authenticate(std::string_view mechanism, Secret response);
    void request_capabilities();
    void capabilities_known();
    void become_ready();
    std::string next_tag() { return "mb" + std::to_string(++tag_counter_); }

    config::SaslMechanism sasl_;
    State state_ = State::idle;
    std::string pending_tag_;
    unsigned tag_counter_ = 0;
    std::vector<std::string> capabilities_;
    bool have_capabilities_ = false;
    std::optional<Secret> initial_response_;  // sent after an empty "+" when no SASL-IR
    std::optional<Secret> second_response_;   // AUTHENTICATE LOGIN: the password, after the user
};

}  // namespace mb::session
