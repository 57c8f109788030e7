// ListenerSet (see listener_set.h).
#include "bridge/daemon/listener_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <string>

#include "bridge/daemon/readiness_reporter.h"

namespace mb::daemon {

ListenerSet::ListenerSet(uv_loop_t* loop) : loop_(loop), drain_timer_(loop) {
    drain_timer_.unref();
}

Result<void> ListenerSet::start(const Services& services) {
    for (const auto& fresh : services) {
        auto listener = std::make_unique<ServerListener>(loop_, fresh, active_sessions_);
        if (auto started = listener->start(); !started) return started;
        listeners_.push_back(std::move(listener));
    }
    return {};
}

void ListenerSet::replace(const Services& services) {
    std::vector<std::unique_ptr<ServerListener>> previous = std::move(listeners_);
    listeners_.clear();
    auto fresh_for = [&](const std::string& name) -> const session::SessionServices* {
        for (const auto& fresh : services)
            if (fresh->server->name == name) return fresh.get();
        return nullptr;
    };
    // First let go of every address that is given up, so that a new or moved server can
    // bind an address another one had (closing a listening socket frees it at once).
    std::map<std::string, std::unique_ptr<ServerListener>> kept;
    for (auto& old : previous) {
        const auto& was = *old->services().server;
        const auto* fresh = fresh_for(was.name);
        if (fresh && old->listening() && fresh->server->listen == was.listen) {
            kept[was.name] = std::move(old);
            continue;
        }
        if (fresh)
            spdlog::info("reload: server {} moves from {} to {}", was.name, was.listen.to_string(),
                         fresh->server->listen.to_string());
        else
            spdlog::info(
                "reload: server {} removed; it stops accepting, {} open session(s) "
                "run to their end",
                was.name, old->session_count());
        retire(std::move(old));
    }
    for (const auto& fresh : services) {
        const auto& server = *fresh->server;
        if (auto it = kept.find(server.name); it != kept.end()) {
            it->second->update_services(fresh);
            listeners_.push_back(std::move(it->second));
            continue;
        }
        spdlog::info("reload: server {} listening on {}", server.name, server.listen.to_string());
        auto listener = std::make_unique<ServerListener>(loop_, fresh, active_sessions_);
        if (auto started = listener->start(); !started)
            spdlog::error("reload: server {}: {}", server.name, started.error().message);
        listeners_.push_back(std::move(listener));
    }
}

void ListenerSet::stop_accepting() {
    for (auto& listener : draining_) listeners_.push_back(std::move(listener));
    draining_.clear();
    drain_timer_.close();
    for (auto& listener : listeners_) listener->stop_accepting();
}

void ListenerSet::shut_down_sessions(std::string_view reason) {
    for (auto& listener : listeners_) listener->shut_down_sessions(reason);
    for (auto& listener : draining_) listener->shut_down_sessions(reason);
}

void ListenerSet::shut_down_sessions_of(std::string_view account, std::string_view reason) {
    for (auto& listener : listeners_) listener->shut_down_sessions_of(account, reason);
    for (auto& listener : draining_) listener->shut_down_sessions_of(account, reason);
}

void ListenerSet::clear() {
    listeners_.clear();
    finished_.clear();
}

std::size_t ListenerSet::listening() const {
    return static_cast<std::size_t>(std::count_if(listeners_.begin(), listeners_.end(),
                                                  [](const auto& l) { return l->listening(); }));
}

std::vector<health::ListenerState> ListenerSet::states() const {
    std::vector<health::ListenerState> states;
    for (const auto& listener : listeners_) {
        const auto& server = *listener->services().server;
        states.push_back({server.name, protocol_name(server.protocol), server.listen.to_string(),
                          listener->listening(), listener->error(), server.upstream.to_string(),
                          listener->session_count()});
    }
    return states;
}

void ListenerSet::retire(std::unique_ptr<ServerListener> listener) {
    listener->stop_accepting();
    if (listener->session_count() == 0) {
        finished_.push_back(std::move(listener));  // freed on a later loop turn
    } else {
        draining_.push_back(std::move(listener));
    }
    start_drain_timer();
}

// Frees retired listeners once their last session ended (never inside a session callback).
void ListenerSet::start_drain_timer() {
    if (drain_timer_.is_active()) return;
    if (auto started =
            drain_timer_.repeat(std::chrono::milliseconds(200), [this] { on_drain_timer(); });
        !started)
        spdlog::error("retired listeners stay allocated: {}", started.error().message);
}

void ListenerSet::on_drain_timer() {
    finished_.clear();
    std::erase_if(draining_, [](const auto& listener) { return listener->session_count() == 0; });
    if (draining_.empty()) drain_timer_.close();
}

}  // namespace mb::daemon
