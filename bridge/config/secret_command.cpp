// Secret commands via posix_spawnp with pipes and a deadline (see secret_command.h).
#include "bridge/config/secret_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace mb::config {
namespace {

using Clock = std::chrono::steady_clock;

// Enough of stderr to show its first line in an error message.
constexpr std::size_t max_kept_stderr = 4096;
constexpr std::size_t max_shown_stderr_line = 200;

class FileDescriptor {
  public:
    FileDescriptor() = default;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() { reset(); }
    int get() const { return fd_; }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

struct Pipe {
    FileDescriptor read_end;
    FileDescriptor write_end;
};

Result<void> open_pipe(Pipe& pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return make_error(std::string("cannot create a pipe: ") + std::strerror(errno) +
                          " (too many open files?)");
    pipe.read_end.reset(fds[0]);
    pipe.write_end.reset(fds[1]);
    return {};
}

// Wipes the captured bytes whatever way the run ends.
struct SecretBuffer {
    std::string bytes;
    ~SecretBuffer() {
        if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
    }
};

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > max_shown_stderr_line) line = line.substr(0, max_shown_stderr_line) + "…";
    return line;
}

class SpawnSettings {
  public:
    SpawnSettings() {
        posix_spawn_file_actions_init(&actions_);
        posix_spawnattr_init(&attributes_);
    }
    SpawnSettings(const SpawnSettings&) = delete;
    SpawnSettings& operator=(const SpawnSettings&) = delete;
    ~SpawnSettings() {
        posix_spawn_file_actions_destroy(&actions_);
        posix_spawnattr_destroy(&attributes_);
    }

    // stdin from /dev/null, stdout and stderr into the pipes; default signal handling and an
    // empty mask whatever the daemon uses; its own process group so a timeout kills it whole.
    void configure(int stdout_fd, int stderr_fd) {
        posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions_, stdout_fd, 1);
        posix_spawn_file_actions_adddup2(&actions_, stderr_fd, 2);
        sigset_t defaults;
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        sigaddset(&defaults, SIGINT);
        sigaddset(&defaults, SIGTERM);
        sigaddset(&defaults, SIGHUP);
        sigset_t empty;
        sigemptyset(&empty);
        posix_spawnattr_setsigdefault(&attributes_, &defaults);
        posix_spawnattr_setsigmask(&attributes_, &empty);
        posix_spawnattr_setpgroup(&attributes_, 0);
        posix_spawnattr_setflags(
            &attributes_, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    }

    const posix_spawn_file_actions_t* actions() const { return &actions_; }
    const posix_spawnattr_t* attributes() const { return &attributes_; }

  private:
    posix_spawn_file_actions_t actions_;
    posix_spawnattr_t attributes_;
};

// Waits for the child until the deadline; returns false if it is still running then.
bool wait_until(pid_t pid, Clock::time_point deadline, int& status) {
    for (;;) {
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return true;
        if (done < 0 && errno != EINTR) {
            status = 0;
            return true;
        }
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void kill_and_reap(pid_t pid) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

enum class CaptureEnd { done, timeout, too_much_output, read_error };

// Reads stdout and stderr until both reach end-of-file, the deadline passes or stdout overflows.
CaptureEnd capture(int stdout_fd, int stderr_fd, Clock::time_point deadline, std::size_t max_output,
                   std::string& out, std::string& err) {
    pollfd fds[2] = {{stdout_fd, POLLIN, 0}, {stderr_fd, POLLIN, 0}};
    char chunk[4096];
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return CaptureEnd::timeout;
        int ready = ::poll(fds, 2, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return CaptureEnd::read_error;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            ssize_t n = ::read(fds[i].fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return CaptureEnd::read_error;
            if (n == 0) {
                fds[i].fd = -1;
                continue;
            }
            std::string& sink = i == 0 ? out : err;
            std::size_t room = i == 0 ? max_output + 1 : max_kept_stderr;
            std::size_t keep =
                std::min(static_cast<std::size_t>(n), room - std::min(room, sink.size()));
            sink.append(chunk, keep);
            if (i == 0 && sink.size() > max_output) {
                OPENSSL_cleanse(chunk, sizeof chunk);
                return CaptureEnd::too_much_output;
            }
        }
    }
    OPENSSL_cleanse(chunk, sizeof chunk);
    return CaptureEnd::done;
}

std::string describe_exit(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "ended abnormally";
}

// "NAME=value" for each allowed variable that is set, wiped when the run ends (values may be
// secrets such as VAULT_TOKEN).
class ChildEnvironment {
  public:
    explicit ChildEnvironment(const std::vector<std::string>& passed_env) {
        std::vector<std::string> names(std::begin(always_passed_env), std::end(always_passed_env));
        for (const auto& name : passed_env)
            if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
        for (const auto& name : names) {
            const char* value = std::getenv(name.c_str());
            if (!value && name == "PATH") value = default_command_path;
            if (value) entries_.push_back(name + "=" + value);
        }
        for (auto& entry : entries_) pointers_.push_back(entry.data());
        pointers_.push_back(nullptr);
    }
    ChildEnvironment(const ChildEnvironment&) = delete;
    ChildEnvironment& operator=(const ChildEnvironment&) = delete;
    ~ChildEnvironment() {
        for (auto& entry : entries_) OPENSSL_cleanse(entry.data(), entry.size());
    }
    char* const* get() const { return pointers_.data(); }

  private:
    std::vector<std::string> entries_;
    std::vector<char*> pointers_;
};

}  // namespace

Result<Secret> run_secret_command(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& passed_env,
                                  const CommandLimits& limits) {
    if (argv.empty() || argv.front().empty())
        return make_error(
            "the secret command is empty; give the program and its arguments, "
            "e.g. command = [\"pass\", \"show\", \"mail/alice\"]");
    const std::string what = "secret command \"" + argv.front() + "\"";
    Pipe out_pipe;
    Pipe err_pipe;
    if (auto opened = open_pipe(out_pipe); !opened) return opened.error();
    if (auto opened = open_pipe(err_pipe); !opened) return opened.error();

    SpawnSettings settings;
    settings.configure(out_pipe.write_end.get(), err_pipe.write_end.get());
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ChildEnvironment environment(passed_env);

    const auto deadline = Clock::now() + limits.timeout;
    pid_t pid = -1;
    int spawned = ::posix_spawnp(&pid, args[0], settings.actions(), settings.attributes(),
                                 args.data(), environment.get());
    if (spawned != 0)
        return make_error("cannot run " + what + ": " + std::strerror(spawned) +
                          " (check the program name, PATH and its execute permission)");
    out_pipe.write_end.reset();
    err_pipe.write_end.reset();

    SecretBuffer out;
    std::string err;
    CaptureEnd end = capture(out_pipe.read_end.get(), err_pipe.read_end.get(), deadline,
                             limits.max_output, out.bytes, err);
    switch (end) {
        case CaptureEnd::timeout:
            kill_and_reap(pid);
            return make_error(what + " did not finish within " +
                              std::to_string(limits.timeout.count()) +
                              " ms and was killed; make it print the secret and exit promptly");
        case CaptureEnd::too_much_output:
            kill_and_reap(pid);
            return make_error(what + " printed more than " + std::to_string(limits.max_output) +
                              " bytes; it must print only the secret");
        case CaptureEnd::read_error: {
            int read_errno = errno;
            kill_and_reap(pid);
            return make_error("reading the output of " + what +
                              " failed: " + std::strerror(read_errno));
        }
        case CaptureEnd::done:
            break;
    }
    int status = 0;
    if (!wait_until(pid, deadline, status)) {
        kill_and_reap(pid);
        return make_error(what + " closed its output but did not exit within " +
                          std::to_string(limits.timeout.count()) + " ms and was killed");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string message = what + " " + describe_exit(status);
        std::string line = first_line(err);
        if (!line.empty()) message += ": " + line;
        return make_error(message + " (run it by hand to see why)");
    }
    return Secret(out.bytes);
}

}  // namespace mb::config
