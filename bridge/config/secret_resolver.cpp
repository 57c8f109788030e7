// Secret resolution and availability checks (see secret_resolver.h).
#include "bridge/config/secret_resolver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "bridge/log/log.h"

namespace mb::config {
namespace {

// The PATH execvp uses when none is set.
constexpr std::string_view default_search_path = "/bin:/usr/bin";

void strip_one_newline(std::string& value) {
    if (value.ends_with("\r\n")) {
        value.resize(value.size() - 2);
    } else if (value.ends_with('\n')) {
        value.pop_back();
    }
}

Result<Secret> finish(std::string value, const std::string& what) {
    if (value.empty())
        return make_error(what + " gave an empty secret; put the secret there or use another form");
    log::register_secret(value);
    Secret secret(value);
    OPENSSL_cleanse(value.data(), value.size());
    return secret;
}

std::string env_not_set(const std::string& name) {
    return "environment variable \"" + name +
           "\" is not set; set it in mailbridge's environment (e.g. the systemd unit) or use "
           "another secret form";
}

Result<Secret> read_secret_file(const std::filesystem::path& path) {
    const std::string what = "secret file " + path.string();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return make_error("cannot open " + what + ": " + std::strerror(errno) +
                          " (check the path and that mailbridge's user may read it)");
    std::string value;
    char chunk[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || value.size() + static_cast<std::size_t>(n) > max_secret_file_size) {
            int failure = n < 0 ? errno : EFBIG;
            ::close(fd);
            OPENSSL_cleanse(value.data(), value.size());
            OPENSSL_cleanse(chunk, sizeof chunk);
            if (failure == EFBIG)
                return make_error(what + " is larger than " + std::to_string(max_secret_file_size) +
                                  " bytes; it must hold only the secret");
            return make_error("cannot read " + what + ": " + std::strerror(failure));
        }
        value.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    OPENSSL_cleanse(chunk, sizeof chunk);
    strip_one_newline(value);
    return finish(std::move(value), what);
}

bool is_executable_file(const std::filesystem::path& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

Result<void> check_program(const std::string& program) {
    if (program.empty())
        return make_error(
            "the secret command is empty; give the program and its arguments, "
            "e.g. command = [\"pass\", \"show\", \"mail/alice\"]");
    if (program.find('/') != std::string::npos) {
        if (is_executable_file(program)) return {};
        return make_error("secret command program " + program +
                          " does not exist or is not executable (check the path and chmod +x)");
    }
    const char* path_env = std::getenv("PATH");
    std::string_view search = path_env ? std::string_view(path_env) : default_search_path;
    while (true) {
        auto colon = search.find(':');
        std::string_view dir = search.substr(0, colon);
        std::filesystem::path candidate = dir.empty() ? std::filesystem::path(".") : dir;
        if (is_executable_file(candidate / program)) return {};
        if (colon == std::string_view::npos) break;
        search.remove_prefix(colon + 1);
    }
    return make_error("secret command program \"" + program +
                      "\" is not found in PATH or not executable (install it, or give its full "
                      "path)");
}

}  // namespace

Result<Secret> resolve_secret(const SecretSource& source, const CommandLimits& limits) {
    switch (source.kind) {
        case SecretSource::Kind::none:
            return Secret();
        case SecretSource::Kind::literal:
        case SecretSource::Kind::hash:
            if (!source.literal.empty()) log::register_secret(source.literal);
            return Secret(source.literal);
        case SecretSource::Kind::env: {
            const char* value = std::getenv(source.env_name.c_str());
            if (!value) return make_error(env_not_set(source.env_name));
            return finish(value, "environment variable \"" + source.env_name + "\"");
        }
        case SecretSource::Kind::file:
            return read_secret_file(source.file);
        case SecretSource::Kind::command: {
            auto output = run_secret_command(source.command, source.command_env, limits);
            if (!output) return output.error();
            std::string value = output->reveal();
            strip_one_newline(value);
            return finish(std::move(value), "secret command \"" + source.command.front() + "\"");
        }
    }
    return make_error("unknown secret kind");
}

bool is_local_password_hash(const SecretSource& source) {
    return source.kind == SecretSource::Kind::hash;
}

Result<void> check_secret_available(const SecretSource& source) {
    switch (source.kind) {
        case SecretSource::Kind::env:
            if (!std::getenv(source.env_name.c_str()))
                return make_error(env_not_set(source.env_name));
            return {};
        case SecretSource::Kind::file: {
            struct stat info {};
            if (::stat(source.file.c_str(), &info) != 0)
                return make_error("secret file " + source.file.string() + " cannot be found: " +
                                  std::strerror(errno) + " (check the path)");
            if (S_ISDIR(info.st_mode))
                return make_error("secret file " + source.file.string() +
                                  " is a directory; name the file that holds the secret");
            if (::access(source.file.c_str(), R_OK) != 0)
                return make_error("secret file " + source.file.string() + " is not readable: " +
                                  std::strerror(errno) + " (check its owner and mode)");
            return {};
        }
        case SecretSource::Kind::command:
            return check_program(source.command.empty() ? std::string() : source.command.front());
        case SecretSource::Kind::none:
        case SecretSource::Kind::literal:
        case SecretSource::Kind::hash:
            return {};
    }
    return {};
}

}  // namespace mb::config
