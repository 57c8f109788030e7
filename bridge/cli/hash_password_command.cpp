// Implements `mailbridge hash-password` on top of session::hash_local_password.
#include "bridge/cli/hash_password_command.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "bridge/cli/exit_codes.h"
#include "bridge/session/local_password.h"

namespace mb::cli {

int hash_password_command() {
    bool tty = ::isatty(STDIN_FILENO);
    termios saved{};
    if (tty) {
        std::cerr << "Password: " << std::flush;
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    bool got = static_cast<bool>(std::getline(std::cin, line));
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << "\n";
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Secret password(std::move(line));
    if (!got || password.empty()) {
        std::cerr << "hash-password: no password on standard input (type one, or pipe it in)\n";
        return kExitUsage;
    }
    auto hash = session::hash_local_password(password);
    if (!hash) {
        std::cerr << "hash-password: " << hash.error().message << "\n";
        return kExitRuntimeFailure;
    }
    std::cout << *hash << "\n";
    return kExitOk;
}

}  // namespace mb::cli
