// The daemon's life: load the configuration, open the health endpoint and listeners, turn the
// loop, reload on SIGHUP (a failing file changes nothing), stop gracefully on SIGTERM/SIGINT.
// Its parts live in their own files: the listeners (listener_set), each listener's services
// (services_builder) and what /readyz says (readiness_reporter).
#include "bridge/daemon/daemon.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <system_error>
#include <vector>

#include "bridge/config/config_loader.h"
#include "bridge/config/secret_resolver.h"
#include "bridge/daemon/authorization_pages.h"
#include "bridge/daemon/cache_service.h"
#include "bridge/daemon/config_reloader.h"
#include "bridge/daemon/exposure_warnings.h"
#include "bridge/daemon/listener_set.h"
#include "bridge/daemon/readiness_reporter.h"
#include "bridge/daemon/services_builder.h"
#include "bridge/daemon/systemd_notifier.h"
#include "bridge/daemon/upstream_route.h"
#include "bridge/health/admin_access.h"
#include "bridge/health/health_server.h"
#include "bridge/health/metrics.h"
#include "bridge/log/log.h"
#include "bridge/net/uv_handle.h"
#include "bridge/net/uv_timer.h"
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
constexpr std::chrono::milliseconds kGraceCheckInterval{100};
constexpr std::chrono::milliseconds kStatusInterval{5000};

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
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;
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
        return std::to_string(listeners_.active_sessions()) + " session(s) open, " +
               std::to_string(listeners_.listening()) + " of " + std::to_string(listeners_.size()) +
               " listener(s) up";
    }

    // Under systemd: STATUS= every 5 s when the text changed.
    void start_status_timer() {
        if (!notifier_.enabled()) return;
        status_timer_.unref();
        auto started = status_timer_.repeat(kStatusInterval, [this] {
            std::string text = status_text();
            if (text == last_status_) return;
            notifier_.status(text);
            last_status_ = std::move(text);
        });
        if (!started) spdlog::warn("no STATUS= updates for systemd: {}", started.error().message);
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
        ListenerSet::Services services;
        for (std::size_t i = 0; i < next->servers.size(); ++i) {
            auto made = build_services(service_parts(), next->servers[i], next, directory,
                                       std::move(prepared.routes.at(i)));
            if (!made) {
                spdlog::error("reload failed: {}; the running configuration stays in force",
                              made.error().message);
                return;
            }
            services.push_back(std::move(made.value()));
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
        listeners_.replace(services);
        end_sessions_of_removed_accounts(*previous, *next);
        if (health_changed) {
            health_.reset();
            if (auto started = start_health(); !started)
                spdlog::error("reload: {}", started.error().message);
        }
        spdlog::info("reloaded {}: {} server(s), {} account(s)", config_path_.string(),
                     next->servers.size(), next->accounts.size());
    }

    void end_sessions_of_removed_accounts(const config::Config& previous,
                                          const config::Config& next) {
        for (const auto& account : previous.accounts) {
            if (next.find_account(account.name)) continue;
            const std::string reason =
                "account " + account.name + " was removed from the configuration by a reload";
            spdlog::info("reload: {}; ending its sessions", reason);
            listeners_.shut_down_sessions_of(account.name, reason);
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

    // What every listener's services share (services_builder.h).
    ServiceParts service_parts() {
        ServiceParts parts;
        parts.loop = &loop_;
        parts.passwords = passwords_;
        parts.tokens = tokens_.get();
        parts.metrics = &metrics_;
        parts.cache = cache_ ? &cache_->writer() : nullptr;
        parts.secrets = upstream_secrets_.get();
        parts.backoff = &backoff_;
        parts.guard = &login_guard_;
        parts.on_login = [this](const std::string& account, health::LoginResult result,
                                const std::string& error) {
            readiness_.record_login(account, result, error,
                                    unix_seconds(std::chrono::system_clock::now()));
        };
        parts.on_proxy = [this](const std::string& proxy, bool ok, std::optional<double> latency_ms,
                                const std::string& error) {
            readiness_.record_proxy(proxy, ok, latency_ms, error,
                                    unix_seconds(std::chrono::system_clock::now()));
        };
        return parts;
    }

    Result<void> start_listeners() {
        directory_ = std::make_shared<session::AccountDirectory>(*config_);
        passwords_ = std::make_shared<session::LocalPasswordChecker>(&loop_);
        ListenerSet::Services services;
        for (const auto& server : config_->servers) {
            auto made = build_services(service_parts(), server, config_, directory_);
            if (!made) return made.error();
            services.push_back(std::move(made.value()));
        }
        return listeners_.start(services);
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
        ReadinessSnapshot snapshot;
        snapshot.config = config_.get();
        snapshot.listeners = listeners_.states();
        snapshot.backoff = backoff_.states(std::chrono::steady_clock::now());
        snapshot.uptime_seconds = static_cast<std::int64_t>((uv_now(&loop_) - started_ms_) / 1000);
        snapshot.cache_enabled = cache_ != nullptr;
        if (cache_) {
            snapshot.cache_rows = cache_->rows();
            snapshot.cache_writes = cache_->writer().stats().accounts;
        }
        if (tokens_) snapshot.tokens = tokens_->status();
        return readiness_.report(snapshot);
    }

    // SIGTERM: stop accepting, let sessions end by themselves for a grace period, then say
    // goodbye to the rest; the loop ends when the last handle is closed.
    void stop_everything() {
        listeners_.stop_accepting();
        if (cache_) cache_->close_timer();
        if (listeners_.active_sessions() > 0) {
            spdlog::info("waiting up to {} s for {} session(s) to end", kShutdownGraceMs / 1000,
                         listeners_.active_sessions());
            grace_deadline_ = uv_now(&loop_) + kShutdownGraceMs;
            // Until the deadline the timer only checks; shut_down_sessions starts after it.
            auto started = grace_timer_.repeat(kGraceCheckInterval, [this] { on_grace_timer(); });
            if (!started) {
                spdlog::error("no grace period ({}): sessions end now", started.error().message);
                listeners_.shut_down_sessions("the bridge is shutting down");
                release_all();
            }
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

    void on_grace_timer() {
        if (listeners_.active_sessions() == 0) {
            release_all();
            return;
        }
        if (uv_now(&loop_) < grace_deadline_) return;
        listeners_.shut_down_sessions("the bridge is shutting down");
        if (uv_now(&loop_) >= grace_deadline_ + 5000) release_all();
    }

    void release_all() {
        grace_timer_.close();
        listeners_.clear();
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
    net::UvTimer grace_timer_{&loop_};
    SystemdNotifier notifier_;  // sd_notify when NOTIFY_SOCKET is set
    net::UvTimer status_timer_{&loop_};
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
    ReadinessReporter readiness_;  // before listeners_: their sessions report to it
    ListenerSet listeners_{&loop_};
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
