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
    SaslOffer sasl_offer() const override;
    // "<tag> AUTHENTICATE <mechanism>" with the response inline when the upstream offers
    // SASL-IR, otherwise it waits for the server's empty continuation.
    std::optional<Secret> send_auth_command(std::string_view mechanism,
                                            std::optional<Secret> initial) override;
    // The LOGIN command, unless the server says LOGINDISABLED.
    bool send_password_login(const std::string& user, const Secret& password) override;
    bool has_capability(std::string_view name) const;

    void on_greeting(std::string_view line);
    void on_capability_line(std::string_view line);
    void on_starttls_answer(std::string_view line);
    void on_auth_line(std::string_view line, std::string_view rest);
    void request_capabilities();
    void capabilities_known();
    void become_ready();
    std::string next_tag() { return "mb" + std::to_string(++tag_counter_); }

    State state_ = State::idle;
    std::string pending_tag_;
    unsigned tag_counter_ = 0;
    std::vector<std::string> capabilities_;
    bool have_capabilities_ = false;
};

}  // namespace mb::session
