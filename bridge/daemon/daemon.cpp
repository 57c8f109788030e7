// The daemon's life: load the configuration, open the health endpoint and listeners, turn the
// loop, reload on SIGHUP (a failing file changes nothing), stop gracefully on SIGTERM/SIGINT.
#include "bridge/daemon/daemon.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <system_error>
#include <vector>

#include "bridge/config/config_loader.h"
#include "bridge/config/secret_resolver.h"
#include "bridge/daemon/authorization_pages.h"
#include "bridge/daemon/cache_service.h"
#include "bridge/daemon/config_reloader.h"
#include "bridge/daemon/exposure_warnings.h"
#include "bridge/daemon/server_listener.h"
#include "bridge/daemon/systemd_notifier.h"
#include "bridge/daemon/upstream_route.h"
#include "bridge/health/admin_access.h"
#include "bridge/health/health_server.h"
#include "bridge/health/metrics.h"
#include "bridge/log/log.h"
#include "bridge/net/uv_handle.h"
#include "bridge/oauth/authorization_runner.h"
#include "bridge/oauth/token_manager.h"
#include "bridge/session/account_directory.h"
#include "bridge/session/local_password_checker.h"
#include "bridge/session/login_guard.h"
#include "bridge/session/session_services.h"
#include "bridge/session/upstream_backoff.h"
#include "bridge/version.h"

namespace mb::daemon {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntimeFailure = 1;
constexpr int kExitUsage = 2;
// After SIGTERM, sessions get this long to end by themselves before they are told goodbye.
constexpr uint64_t kShutdownGraceMs = 10'000;

health::TokenRefreshResult to_metric(oauth::RefreshResult result) {
    switch (result) {
        case oauth::RefreshResult::success:
            return health::TokenRefreshResult::ok;
        case oauth::RefreshResult::permanent_error:
            return health::TokenRefreshResult::needs_authorization;
        case oauth::RefreshResult::transient_error:
            return health::TokenRefreshResult::failed;
    }
    return health::TokenRefreshResult::failed;
}

health::TokenState to_health(oauth::TokenState state) {
    switch (state) {
        case oauth::TokenState::valid:
            return health::TokenState::valid;
        case oauth::TokenState::needs_authorization:
            return health::TokenState::needs_authorization;
        case oauth::TokenState::failing:
            return health::TokenState::failing;
        case oauth::TokenState::unknown:
            return health::TokenState::unknown;
    }
    return health::TokenState::unknown;
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

log::Options log_options(const config::Config& config, std::optional<int> level_override) {
    return {.level = level_override.value_or(config.daemon.log_level),
            .file = config.daemon.log_file.string(),
            .journal = std::getenv("JOURNAL_STREAM") != nullptr};
}

// Each session holds two sockets: raise the soft open-file limit to the hard one.
void raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0)
        spdlog::debug("open-file limit raised from {} to {}", before, limit.rlim_cur);
}

Result<void> prepare_state_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return make_error("cannot create state_dir " + dir.string() + ": " + ec.message() +
                          " (check [daemon] state_dir and its parent's permissions)");
    if (::chmod(dir.c_str(), 0700) != 0)
        return make_error("cannot restrict state_dir " + dir.string() + " to mode 0700");
    return {};
}

class Daemon {
  public:
    Daemon(std::filesystem::path config_path, config::Config config,
           std::optional<int> level_override)
        : config_path_(std::move(config_path)),
          config_(std::make_shared<const config::Config>(std::move(config))),
          level_override_(level_override) {
        uv_loop_init(&loop_);
    }
    ~Daemon() { uv_loop_close(&loop_); }

    int run() {
        if (auto prepared = prepare_state_dir(config_->daemon.state_dir); !prepared) {
            spdlog::error("{}", prepared.error().message);
            return kExitRuntimeFailure;
        }
        started_ms_ = uv_now(&loop_);
        for (const auto& server : config_->servers) metrics_.add_server(server.name);
        for (const auto& account : config_->accounts) metrics_.add_account(account.name);
        for (const auto& proxy : config_->proxies) metrics_.add_proxy(proxy.name);
        cache_ = CacheService::start(&loop_, config_->daemon.state_dir, metrics_);
        reloader_ = std::make_unique<ConfigReloader>(&loop_, config_path_);
        watch_signal(sigterm_, SIGTERM);
        watch_signal(sigint_, SIGINT);
        watch_signal(sighup_, SIGHUP);
        tokens_ = std::make_unique<oauth::TokenManager>(
            &loop_, oauth::TokenManagerOptions::from_config(*config_));
        tokens_->set_refresh_observer([this](std::string_view account, oauth::RefreshResult r) {
            metrics_.token_refresh(account, to_metric(r));
        });
        upstream_secrets_ = std::make_unique<oauth::SecretCache>(
            &loop_,
            [](const config::SecretSource& source) { return config::resolve_secret(source); });
        authorizations_ = std::make_unique<oauth::AuthorizationRunner>(
            &loop_, [this](const std::string& account, const std::string& login) {
                if (tokens_) tokens_->stored_token_changed(account, login);
            });
        auth_pages_ = std::make_unique<AuthorizationPages>([this] { return config_; },
                                                           *authorizations_, admin_access_);
        resolve_admin_token();
        for (const auto& warning : exposure_warnings(*config_)) spdlog::warn("{}", warning);
        auto started = start_health();
        if (started) started = start_listeners();
        if (!started) {
            spdlog::error("{}", started.error().message);
            stop_everything();
            uv_run(&loop_, UV_RUN_DEFAULT);
            if (cache_) cache_->stop();
            return kExitRuntimeFailure;
        }
        spdlog::info("mailbridge {} running with {} ({} server(s), {} account(s))",
                     MAILBRIDGE_VERSION, config_path_.string(), config_->servers.size(),
                     config_->accounts.size());
        notifier_.ready(status_text());
        start_status_timer();
        uv_run(&loop_, UV_RUN_DEFAULT);
        if (cache_) cache_->stop();
        spdlog::info("mailbridge stopped");
        return exit_status_;
    }

  private:
    void watch_signal(net::UvHandle<uv_signal_t>& handle, int signum) {
        handle.open([this](uv_signal_t* h) { return uv_signal_init(&loop_, h); });
        handle.get()->data = this;
        uv_signal_start(
            handle.get(),
            [](uv_signal_t* h, int sig) {
                if (h->data) static_cast<Daemon*>(h->data)->on_signal(sig);
            },
            signum);
    }

    void on_signal(int signum) {
        if (signum == SIGHUP) {
            spdlog::info("SIGHUP: reloading {}", config_path_.string());
            notifier_.reloading();
            reloader_->request([this](PreparedReload result) {
                apply_reload(std::move(result));
                if (!stopping_) notifier_.ready(status_text());
            });
            return;
        }
        if (stopping_) return;
        spdlog::info("{}: stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
        notifier_.stopping();
        stopping_ = true;
        status_timer_.close();
        stop_everything();
    }

    // One line for systemd's STATUS= (shown by systemctl status).
    std::string status_text() const {
        std::size_t listening = 0;
        for (const auto& listener : listeners_) listening += listener->listening() ? 1 : 0;
        return std::to_string(active_sessions_) + " session(s) open, " + std::to_string(listening) +
               " of " + std::to_string(listeners_.size()) + " listener(s) up";
    }

    // Under systemd: STATUS= every 5 s when the text changed.
    void start_status_timer() {
        if (!notifier_.enabled()) return;
        status_timer_.open([this](uv_timer_t* t) { return uv_timer_init(&loop_, t); });
        status_timer_.get()->data = this;
        uv_timer_start(
            status_timer_.get(),
            [](uv_timer_t* t) {
                if (!t->data) return;
                auto* self = static_cast<Daemon*>(t->data);
                std::string text = self->status_text();
                if (text == self->last_status_) return;
                self->notifier_.status(text);
                self->last_status_ = std::move(text);
            },
            5000, 5000);
        uv_unref(reinterpret_cast<uv_handle_t*>(status_timer_.get()));
    }

    void apply_reload(PreparedReload prepared) {
        if (stopping_) return;
        config::LoadResult& result = prepared.load;
        if (!result.config) {
            spdlog::error(
                "reload failed: {} problem(s) in {}; the running configuration stays "
                "in force",
                result.problems.size(), config_path_.string());
            for (const auto& problem : result.problems) spdlog::error("{}", problem.to_string());
            return;
        }
        auto next = std::make_shared<const config::Config>(std::move(*result.config));
        // Everything that can fail is prepared first: a server whose certificate or proxy
        // password cannot be loaded leaves the running configuration untouched.
        auto directory = std::make_shared<session::AccountDirectory>(*next);
        std::vector<std::shared_ptr<const session::SessionServices>> services;
        for (std::size_t i = 0; i < next->servers.size(); ++i) {
            Result<void> status;
            auto made = make_services(next->servers[i], next, directory, status,
                                      std::move(prepared.routes.at(i)));
            if (!made) {
                spdlog::error("reload failed: {}; the running configuration stays in force",
                              status.error().message);
                return;
            }
            services.push_back(std::move(made));
        }
        warn_about_restart_only_changes(*next);
        // A file, env or command local password may have been rotated: verdicts remembered for
        // the old one must not outlive the reload.
        passwords_->forget_verdicts();
        upstream_secrets_->forget_all();
        for (const auto& warning : exposure_warnings(*next, config_.get()))
            spdlog::warn("reload: {}", warning);
        if (next->daemon.log_level != config_->daemon.log_level) {
            log::set_level(next->daemon.log_level);
            spdlog::info("log level is now {}", next->daemon.log_level);
        }
        const bool health_changed =
            !same_address(next->daemon.health_listen, config_->daemon.health_listen);
        const auto previous = config_;
        config_ = next;
        directory_ = std::move(directory);
        for (const auto& server : next->servers) metrics_.add_server(server.name);
        for (const auto& account : next->accounts) metrics_.add_account(account.name);
        for (const auto& proxy : next->proxies) metrics_.add_proxy(proxy.name);
        if (tokens_) tokens_->reconfigure(next->accounts, next->proxies);
        resolve_admin_token();
        replace_listeners(std::move(services));
        end_sessions_of_removed_accounts(*previous, *next);
        if (health_changed) {
            health_.reset();
            if (auto started = start_health(); !started)
                spdlog::error("reload: {}", started.error().message);
        }
        spdlog::info("reloaded {}: {} server(s), {} account(s)", config_path_.string(),
                     next->servers.size(), next->accounts.size());
    }

    // Listeners are matched by server name. Same address: later sessions take the new services,
    // open ones keep theirs. New address or removed server: the old listener stops accepting
    // and drains (its sessions run to their end); a new one binds.
    void replace_listeners(std::vector<std::shared_ptr<const session::SessionServices>> services) {
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
                spdlog::info("reload: server {} moves from {} to {}", was.name,
                             was.listen.to_string(), fresh->server->listen.to_string());
            else
                spdlog::info(
                    "reload: server {} removed; it stops accepting, {} open session(s) "
                    "run to their end",
                    was.name, old->session_count());
            retire_listener(std::move(old));
        }
        for (auto& fresh : services) {
            const auto& server = *fresh->server;
            if (auto it = kept.find(server.name); it != kept.end()) {
                it->second->update_services(fresh);
                listeners_.push_back(std::move(it->second));
                continue;
            }
            spdlog::info("reload: server {} listening on {}", server.name,
                         server.listen.to_string());
            auto listener = std::make_unique<ServerListener>(&loop_, fresh, active_sessions_);
            if (auto started = listener->start(); !started)
                spdlog::error("reload: server {}: {}", server.name, started.error().message);
            listeners_.push_back(std::move(listener));
        }
    }

    void retire_listener(std::unique_ptr<ServerListener> listener) {
        listener->stop_accepting();
        if (listener->session_count() == 0) {
            finished_listeners_.push_back(std::move(listener));  // freed on a later loop turn
        } else {
            draining_.push_back(std::move(listener));
        }
        start_drain_timer();
    }

    // Frees retired listeners once their last session ended (never inside a session callback).
    void start_drain_timer() {
        if (drain_timer_.get()) return;
        drain_timer_.open([this](uv_timer_t* t) { return uv_timer_init(&loop_, t); });
        drain_timer_.get()->data = this;
        uv_timer_start(
            drain_timer_.get(),
            [](uv_timer_t* t) {
                auto* self = static_cast<Daemon*>(t->data);
                if (!self) return;
                self->finished_listeners_.clear();
                std::erase_if(self->draining_,
                              [](const auto& listener) { return listener->session_count() == 0; });
                if (self->draining_.empty()) self->drain_timer_.close();
            },
            200, 200);
        uv_unref(reinterpret_cast<uv_handle_t*>(drain_timer_.get()));
    }

    void end_sessions_of_removed_accounts(const config::Config& previous,
                                          const config::Config& next) {
        for (const auto& account : previous.accounts) {
            if (next.find_account(account.name)) continue;
            const std::string reason =
                "account " + account.name + " was removed from the configuration by a reload";
            spdlog::info("reload: {}; ending its sessions", reason);
            for (auto& listener : listeners_) listener->shut_down_sessions_of(account.name, reason);
            for (auto& listener : draining_) listener->shut_down_sessions_of(account.name, reason);
        }
    }

    void warn_about_restart_only_changes(const config::Config& next) const {
        const auto& now = config_->daemon;
        if (next.daemon.state_dir != now.state_dir)
            spdlog::warn("reload: state_dir changes take effect at the next restart");
        if (!(next.daemon.token_key == now.token_key))
            spdlog::warn("reload: token_key changes take effect at the next restart");
        if (next.daemon.log_file != now.log_file)
            spdlog::warn("reload: log_file changes take effect at the next restart");
    }

    static bool same_address(const std::optional<config::HostPort>& a,
                             const std::optional<config::HostPort>& b) {
        if (a.has_value() != b.has_value()) return false;
        return !a || (a->host == b->host && a->port == b->port);
    }

    std::shared_ptr<const session::SessionServices> make_services(
        const config::ServerSettings& server, std::shared_ptr<const config::Config> config,
        std::shared_ptr<session::AccountDirectory> directory, Result<void>& status,
        std::optional<Result<UpstreamRoute>> prepared_route = std::nullopt) {
        auto services = std::make_shared<session::SessionServices>();
        services->loop = &loop_;
        services->config = config;
        services->server = &server;
        services->directory = std::move(directory);
        services->passwords = passwords_;
        services->tokens = tokens_.get();
        services->metrics = &metrics_;
        services->cache = cache_ ? &cache_->writer() : nullptr;
        services->secrets = upstream_secrets_.get();
        backoff_.set_longest(std::chrono::seconds(config->daemon.upstream_backoff_max));
        services->backoff = config->daemon.upstream_backoff_max > 0 ? &backoff_ : nullptr;
        login_guard_.set_longest_delay(std::chrono::seconds(config->daemon.failed_login_block_max));
        services->guard = &login_guard_;
        services->on_login = [this](const std::string& account, health::LoginResult result,
                                    const std::string& error) {
            auto& last = last_logins_[account];
            last.result = result;
            last.time = unix_seconds(std::chrono::system_clock::now());
            last.error = error;
        };
        services->on_proxy = [this](const std::string& proxy, bool ok,
                                    std::optional<double> latency_ms, const std::string& error) {
            auto& state = last_proxies_[proxy];
            state.last_ok = ok;
            state.last_time = unix_seconds(std::chrono::system_clock::now());
            if (latency_ms) state.last_latency_ms = latency_ms;
            state.last_error = error;
        };
        // At start the loop has not turned yet; a reload prepared the route on the worker pool.
        auto route =
            prepared_route ? std::move(*prepared_route) : prepare_upstream_route(*config, server);
        if (!route) {
            status = route.error();
            return nullptr;
        }
        if (!server.verify)
            spdlog::warn(
                "[[server]] {}: verify = false: the upstream certificate and hostname "
                "are NOT checked",
                server.name);
        services->upstream_tls = std::move(route->tls);
        services->proxy = std::move(route->proxy);
        if (server.local_tls != config::LocalTls::none) {
            auto local = net::TlsServerContext::create(server.local_cert, server.local_key);
            if (!local) {
                status = make_error("[[server]] " + server.name + ": " + local.error().message);
                return nullptr;
            }
            services->local_tls = std::make_shared<net::TlsServerContext>(std::move(local.value()));
        }
        return services;
    }

    Result<void> start_listeners() {
        directory_ = std::make_shared<session::AccountDirectory>(*config_);
        passwords_ = std::make_shared<session::LocalPasswordChecker>(&loop_);
        for (const auto& server : config_->servers) {
            Result<void> status;
            auto services = make_services(server, config_, directory_, status);
            if (!services) return status;
            auto listener = std::make_unique<ServerListener>(&loop_, services, active_sessions_);
            if (auto started = listener->start(); !started) return started;
            listeners_.push_back(std::move(listener));
        }
        return {};
    }

    // [daemon] admin_token for the health endpoint's POSTs. A literal or an environment variable
    // is read at once; files and commands block, so they are read on the worker pool.
    void resolve_admin_token() {
        const auto& source = config_->daemon.admin_token;
        if (source.empty()) {
            ++admin_token_generation_;
            admin_access_.set_token(std::nullopt);
            return;
        }
        // A slow resolution from an earlier reload must not undo a later one.
        const unsigned generation = ++admin_token_generation_;
        auto apply = [this, generation](const Result<Secret>& token) {
            if (generation != admin_token_generation_) return;
            if (!token) {
                spdlog::error(
                    "[daemon] admin_token cannot be read ({}); the health endpoint accepts no "
                    "POST until it can (fix it and reload)",
                    token.error().message);
                admin_access_.set_token(std::nullopt);
                return;
            }
            admin_access_.set_token(*token);
        };
        using Kind = config::SecretSource::Kind;
        if (source.kind == Kind::literal || source.kind == Kind::env) {
            apply(config::resolve_secret(source));
            return;
        }
        upstream_secrets_->resolve("[daemon] admin_token", source, apply);
    }

    Result<void> start_health() {
        if (!config_->daemon.health_listen) return {};
        health_ = std::make_unique<health::HealthServer>(&loop_, metrics_,
                                                         [this] { return readiness(); });
        auto auth_route = [this](const protocol::http::Request& request) {
            if (!auth_pages_) return health::plain_response(503, "mailbridge is stopping");
            return auth_pages_->answer(request, health_->allowed_hosts());
        };
        health_->add_route("GET", "/auth/", auth_route);
        health_->add_route("POST", "/auth/", auth_route);
        health::HealthServerOptions options;
        options.host = config_->daemon.health_listen->host;
        options.port = config_->daemon.health_listen->port;
        auto started = health_->start(options);
        if (!started) {
            health_.reset();
            return started;
        }
        return {};
    }

    health::ReadinessReport readiness() const {
        health::ReadinessReport report;
        for (const auto& listener : listeners_) {
            const auto& server = *listener->services().server;
            report.listeners.push_back({server.name,
                                        server.protocol == config::Protocol::imap   ? "imap"
                                        : server.protocol == config::Protocol::pop3 ? "pop3"
                                                                                    : "smtp",
                                        server.listen.to_string(), listener->listening(),
                                        listener->error(), server.upstream.to_string(),
                                        listener->session_count()});
        }
        for (const auto& state : backoff_.states(std::chrono::steady_clock::now()))
            report.backoff.push_back(
                {state.route.account, state.route.upstream, state.route.proxy, state.failures,
                 static_cast<double>(state.remaining.count()) / 1000, state.last_error});
        report.version = MAILBRIDGE_VERSION;
        report.uptime_seconds = static_cast<std::int64_t>((uv_now(&loop_) - started_ms_) / 1000);
        report.cache_enabled = cache_ != nullptr;
        if (cache_) {
            const auto writes = cache_->writer().stats();
            std::map<std::string, health::CacheAccountState> by_account;
            for (const auto& [account, rows] : cache_->rows()) {
                by_account[account].account = account;
                by_account[account].rows = rows;
            }
            for (const auto& [account, latency] : writes.accounts) {
                auto& state = by_account[account];
                state.account = account;
                state.write_last_seconds = latency.last_ms / 1000;
                state.write_average_seconds = latency.average_ms / 1000;
            }
            for (auto& [account, state] : by_account) report.cache.push_back(std::move(state));
        }
        for (const auto& proxy : config_->proxies) {
            health::ProxyState state;
            if (auto it = last_proxies_.find(proxy.name); it != last_proxies_.end())
                state = it->second;
            state.name = proxy.name;
            state.url = proxy.url;
            report.proxies.push_back(std::move(state));
        }
        auto tokens = tokens_ ? tokens_->status() : std::vector<oauth::TokenStatus>{};
        for (const auto& account : config_->accounts) {
            bool listed = false;
            for (const auto& token : tokens) {
                if (token.account != account.name) continue;
                report.accounts.push_back(account_state(account.name, &token));
                listed = true;
            }
            if (!listed) report.accounts.push_back(account_state(account.name, nullptr));
        }
        return report;
    }

    health::AccountState account_state(const std::string& account,
                                       const oauth::TokenStatus* token) const {
        health::AccountState state;
        state.name = account;
        if (token) {
            state.login = token->login;
            state.token_state = to_health(token->state);
            if (token->valid_until) state.token_valid_until = unix_seconds(*token->valid_until);
            state.last_error = token->last_error;
        }
        if (auto it = last_logins_.find(account); it != last_logins_.end()) {
            state.last_login_result = it->second.result;
            state.last_login_time = it->second.time;
            if (state.last_error.empty()) state.last_error = it->second.error;
        }
        return state;
    }

    // SIGTERM: stop accepting, let sessions end by themselves for a grace period, then say
    // goodbye to the rest; the loop ends when the last handle is closed.
    void stop_everything() {
        for (auto& listener : draining_) listeners_.push_back(std::move(listener));
        draining_.clear();
        drain_timer_.close();
        for (auto& listener : listeners_) listener->stop_accepting();
        if (cache_) cache_->close_timer();
        if (active_sessions_ > 0) {
            spdlog::info("waiting up to {} s for {} session(s) to end", kShutdownGraceMs / 1000,
                         active_sessions_);
            grace_timer_.open([this](uv_timer_t* t) { return uv_timer_init(&loop_, t); });
            grace_timer_.get()->data = this;
            grace_deadline_ = uv_now(&loop_) + kShutdownGraceMs;
            // Until the deadline the timer only checks; shut_down_sessions starts after it.
            uv_timer_start(
                grace_timer_.get(),
                [](uv_timer_t* t) {
                    auto* self = static_cast<Daemon*>(t->data);
                    if (!self) return;
                    if (self->active_sessions_ == 0) {
                        self->release_all();
                        return;
                    }
                    if (uv_now(&self->loop_) < self->grace_deadline_) return;
                    for (auto& listener : self->listeners_)
                        listener->shut_down_sessions("the bridge is shutting down");
                    if (uv_now(&self->loop_) >= self->grace_deadline_ + 5000) self->release_all();
                },
                100, 100);
        } else {
            release_all();
        }
        health_.reset();
        auth_pages_.reset();
        authorizations_.reset();  // cancels flows under way
        reloader_.reset();
        sigterm_.close();
        sigint_.close();
        sighup_.close();
    }

    void release_all() {
        grace_timer_.close();
        listeners_.clear();
        finished_listeners_.clear();
        tokens_.reset();
        upstream_secrets_.reset();
        passwords_.reset();
    }

    uv_loop_t loop_{};
    std::filesystem::path config_path_;
    // The configuration in force; sessions, listeners and the /auth pages share it.
    std::shared_ptr<const config::Config> config_;
    std::optional<int> level_override_;
    health::Metrics metrics_;
    std::unique_ptr<CacheService> cache_;  // null: running without a cache
    std::unique_ptr<health::HealthServer> health_;
    std::unique_ptr<ConfigReloader> reloader_;
    net::UvHandle<uv_signal_t> sigterm_, sigint_, sighup_;
    net::UvHandle<uv_timer_t> grace_timer_;
    SystemdNotifier notifier_;  // sd_notify when NOTIFY_SOCKET is set
    net::UvHandle<uv_timer_t> status_timer_;
    std::string last_status_;
    std::uint64_t started_ms_ = 0;      // uv_now at start, for uptime
    session::UpstreamBackoff backoff_;  // per (account, upstream), kept across reloads
    uint64_t grace_deadline_ = 0;
    std::unique_ptr<oauth::TokenManager> tokens_;
    std::unique_ptr<oauth::SecretCache> upstream_secrets_;        // auth = "password" accounts
    std::unique_ptr<oauth::AuthorizationRunner> authorizations_;  // /auth/ACCOUNT flows
    health::AdminAccess admin_access_;  // [daemon] admin_token, read by auth_pages_
    unsigned admin_token_generation_ = 0;
    std::unique_ptr<AuthorizationPages> auth_pages_;
    std::shared_ptr<session::AccountDirectory> directory_;
    std::shared_ptr<session::LocalPasswordChecker> passwords_;
    session::LoginGuard login_guard_;
    std::vector<std::unique_ptr<ServerListener>> listeners_;
    std::vector<std::unique_ptr<ServerListener>> draining_;  // removed/moved, sessions still open
    std::vector<std::unique_ptr<ServerListener>> finished_listeners_;  // freed by drain_timer_
    net::UvHandle<uv_timer_t> drain_timer_;
    std::size_t active_sessions_ = 0;
    struct LastLogin {
        health::LoginResult result;
        std::int64_t time = 0;
        std::string error;
    };
    std::map<std::string, LastLogin> last_logins_;
    std::map<std::string, health::ProxyState> last_proxies_;
    bool stopping_ = false;
    int exit_status_ = kExitOk;
};

}  // namespace

int run_daemon(const std::filesystem::path& config_path, std::optional<int> log_level_override) {
    auto loaded = config::load_config_file(config_path);
    if (!loaded.config) {
        for (const auto& problem : loaded.problems) std::cerr << problem.to_string() << "\n";
        std::cerr << "mailbridge: not started: fix the configuration (mailbridge check-config "
                     "--config "
                  << config_path.string() << ")\n";
        return kExitUsage;
    }
    if (auto logging = log::init(log_options(*loaded.config, log_level_override)); !logging) {
        std::cerr << "mailbridge: " << logging.error().message << "\n";
        return kExitUsage;
    }
    std::signal(SIGPIPE, SIG_IGN);
    raise_open_file_limit();
    Daemon daemon(config_path, std::move(*loaded.config), log_level_override);
    return daemon.run();
}

}  // namespace mb::daemon
