// `mailbridge auth` (see auth_command.h): config and secrets, the flow, then the token store.
#include "bridge/cli/auth_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <iostream>

#include "bridge/cli/exit_codes.h"
#include "bridge/config/config_loader.h"
#include "bridge/oauth/interactive_authorization.h"

extern char** environ;

namespace mb::cli {

namespace {

// xdg-open in the background, only when a graphical session can show it.
void open_browser(const std::string& url) {
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((display == nullptr || *display == '\0') && (wayland == nullptr || *wayland == '\0'))
        return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string program = "xdg-open";
    std::string argument = url;
    char* argv[] = {program.data(), argument.data(), nullptr};
    pid_t pid = 0;
    if (posix_spawnp(&pid, "xdg-open", &actions, nullptr, argv, environ) == 0)
        ::waitpid(pid, nullptr, WNOHANG);
    posix_spawn_file_actions_destroy(&actions);
}

}  // namespace

int auth_command(const std::filesystem::path& config_path, const std::string& account_name,
                 const std::optional<std::string>& login_option, std::chrono::seconds timeout) {
    auto loaded = config::load_config_file(config_path);
    for (const auto& problem : loaded.problems) std::cerr << problem.to_string() << "\n";
    if (!loaded.config) return kExitUsage;
    const config::Config& config = *loaded.config;
    const auto* account = config.find_account(account_name);
    if (!account) {
        std::cerr << "auth: no account named \"" << account_name << "\" in " << config_path.string()
                  << "\n";
        return kExitUsage;
    }
    auto login = oauth::interactive_login(*account, login_option);
    if (!login) {
        std::cerr << "auth: " << login.error().message
                  << (login_option ? "" : " (use --login USER)") << "\n";
        return kExitUsage;
    }
    auto client = oauth::interactive_client(config, *account, *login);
    if (!client) {
        std::cerr << "auth: " << client.error().message << "\n";
        return kExitUsage;
    }
    // Open the store first: a wrong key should stop us before the user signs in.
    auto store = oauth::open_token_store(config);
    if (!store) {
        std::cerr << "auth: " << store.error().message << "\n";
        return kExitRuntimeFailure;
    }
    oauth::FlowIo io;
    io.out = &std::cout;
    io.open_browser = open_browser;
    io.redirect_timeout = timeout;
    auto outcome = oauth::authorize_and_store(*client, *store, io);
    if (!outcome) {
        std::cerr << "auth: " << outcome.error().message << "\n";
        return kExitRuntimeFailure;
    }
    std::cout << outcome->summary << "\n";
    if (!outcome->refresh_token)
        std::cout << "Warning: the server issued no refresh token, so this authorization ends "
                     "when the access token expires — request the offline_access scope.\n";
    return kExitOk;
}

}  // namespace mb::cli
