// Tests of resolve_secret, check_secret_available and run_secret_command: every form, the
// failure paths (unset, unreadable, failing, hanging, chatty), newline stripping and redaction.
#include "bridge/config/secret_resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "bridge/log/log.h"
#include "scratch_dir.h"

namespace mb::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

SecretSource literal(std::string value) {
    SecretSource source;
    source.kind = SecretSource::Kind::literal;
    source.literal = std::move(value);
    return source;
}

SecretSource env(std::string name) {
    SecretSource source;
    source.kind = SecretSource::Kind::env;
    source.env_name = std::move(name);
    return source;
}

SecretSource file(std::filesystem::path path) {
    SecretSource source;
    source.kind = SecretSource::Kind::file;
    source.file = std::move(path);
    return source;
}

SecretSource command(std::vector<std::string> argv) {
    SecretSource source;
    source.kind = SecretSource::Kind::command;
    source.command = std::move(argv);
    return source;
}

std::string resolved(const SecretSource& source) {
    auto secret = resolve_secret(source);
    EXPECT_TRUE(secret.ok()) << secret.error().message;
    return secret ? secret->reveal() : std::string();
}

std::string failure(const SecretSource& source, const CommandLimits& limits = {}) {
    auto secret = resolve_secret(source, limits);
    EXPECT_FALSE(secret.ok());
    return secret ? std::string() : secret.error().message;
}

TEST(ResolveSecret, LiteralAndNone) {
    EXPECT_EQ(resolved(literal("plain-value")), "plain-value");
    EXPECT_EQ(resolved(SecretSource{}), "");
}

TEST(ResolveSecret, HashGivesTheHashText) {
    SecretSource source;
    source.kind = SecretSource::Kind::hash;
    source.literal = "$hash$text";
    EXPECT_TRUE(is_local_password_hash(source));
    EXPECT_FALSE(is_local_password_hash(literal("x")));
    EXPECT_EQ(resolved(source), "$hash$text");
}

TEST(ResolveSecret, EnvironmentVariable) {
    ::setenv("MB_SECRET_TEST_VALUE", "from-env-value", 1);
    EXPECT_EQ(resolved(env("MB_SECRET_TEST_VALUE")), "from-env-value");
    EXPECT_TRUE(check_secret_available(env("MB_SECRET_TEST_VALUE")).ok());
    ::unsetenv("MB_SECRET_TEST_VALUE");
    EXPECT_THAT(failure(env("MB_SECRET_TEST_VALUE")),
                HasSubstr("environment variable \"MB_SECRET_TEST_VALUE\" is not set"));
    EXPECT_FALSE(check_secret_available(env("MB_SECRET_TEST_VALUE")).ok());
    ::setenv("MB_SECRET_TEST_VALUE", "", 1);
    EXPECT_THAT(failure(env("MB_SECRET_TEST_VALUE")), HasSubstr("empty"));
    ::unsetenv("MB_SECRET_TEST_VALUE");
}

TEST(ResolveSecret, FileLosesExactlyOneTrailingNewline) {
    testing::ScratchDir dir;
    EXPECT_EQ(resolved(file(dir.write("a", "file-secret\n"))), "file-secret");
    EXPECT_EQ(resolved(file(dir.write("b", "file-secret\n\n"))), "file-secret\n");
    EXPECT_EQ(resolved(file(dir.write("c", "file-secret\r\n"))), "file-secret");
    EXPECT_EQ(resolved(file(dir.write("d", "file-secret"))), "file-secret");
    EXPECT_EQ(resolved(file(dir.write("e", " spaced secret \n"))), " spaced secret ");
    EXPECT_EQ(resolved(file(dir.write("f", std::string("nul\0inside", 10)))),
              std::string("nul\0inside", 10));
}

TEST(ResolveSecret, FileErrorsNameThePathNotTheContent) {
    testing::ScratchDir dir;
    std::string message = failure(file(dir.path() / "absent"));
    EXPECT_THAT(message, HasSubstr((dir.path() / "absent").string()));
    EXPECT_THAT(message, HasSubstr("cannot open"));
    EXPECT_THAT(failure(file(dir.path())), HasSubstr("cannot read"));
    EXPECT_THAT(failure(file(dir.write("empty", "\n"))), HasSubstr("empty"));
    std::string big(max_secret_file_size + 1, 'k');
    message = failure(file(dir.write("big", big)));
    EXPECT_THAT(message, HasSubstr("larger than"));
    EXPECT_THAT(message, Not(HasSubstr("kkkk")));
    EXPECT_FALSE(check_secret_available(file(dir.path() / "absent")).ok());
    EXPECT_THAT(check_secret_available(file(dir.path())).error().message,
                HasSubstr("is a directory"));
}

TEST(ResolveSecret, UnreadableFile) {
    if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
    testing::ScratchDir dir;
    auto path = dir.write("locked", "locked-secret\n", 0000);
    EXPECT_THAT(failure(file(path)), HasSubstr("cannot open"));
    auto available = check_secret_available(file(path));
    ASSERT_FALSE(available.ok());
    EXPECT_THAT(available.error().message, HasSubstr("not readable"));
}

TEST(ResolveSecret, CommandStdoutLosesOneTrailingNewline) {
    EXPECT_EQ(resolved(command({"printf", "%s\n", "command-secret"})), "command-secret");
    EXPECT_EQ(resolved(command({"printf", "two\n\n"})), "two\n");
    EXPECT_EQ(resolved(command({"echo", "a b  c"})), "a b  c");
}

TEST(ResolveSecret, CommandRunsWithoutAShell) {
    EXPECT_EQ(resolved(command({"echo", "$HOME;", "`id`", "|", "x"})), "$HOME; `id` | x");
}

TEST(ResolveSecret, CommandFailureShowsStatusAndStderrNeverStdout) {
    std::string message =
        failure(command({"sh", "-c",
                         "echo stdout-secret-value; echo 'first stderr line' >&2; echo second >&2; "
                         "exit 3"}));
    EXPECT_THAT(message, HasSubstr("exited with status 3"));
    EXPECT_THAT(message, HasSubstr("first stderr line"));
    EXPECT_THAT(message, Not(HasSubstr("second")));
    EXPECT_THAT(message, Not(HasSubstr("stdout-secret-value")));
    EXPECT_THAT(failure(command({"false"})), HasSubstr("exited with status 1"));
    EXPECT_THAT(failure(command({"sh", "-c", "kill -9 $$"})), HasSubstr("killed by signal 9"));
    EXPECT_THAT(failure(command({"true"})), HasSubstr("empty"));
}

TEST(ResolveSecret, CommandNotFoundOrNotExecutable) {
    EXPECT_THAT(failure(command({"mb-no-such-program-here"})), HasSubstr("cannot run"));
    EXPECT_FALSE(check_secret_available(command({"mb-no-such-program-here"})).ok());
    EXPECT_TRUE(check_secret_available(command({"sh"})).ok());
    testing::ScratchDir dir;
    auto script = dir.write("script", "#!/bin/sh\necho from-script\n", 0600);
    EXPECT_THAT(check_secret_available(command({script.string()})).error().message,
                HasSubstr("not executable"));
    EXPECT_THAT(failure(command({script.string()})), HasSubstr("cannot run"));
    ::chmod(script.c_str(), 0700);
    EXPECT_TRUE(check_secret_available(command({script.string()})).ok());
    EXPECT_EQ(resolved(command({script.string()})), "from-script");
    EXPECT_THAT(failure(command({})), HasSubstr("empty"));
}

TEST(ResolveSecret, CommandTimingOutIsKilled) {
    CommandLimits limits;
    limits.timeout = std::chrono::milliseconds(300);
    auto started = std::chrono::steady_clock::now();
    std::string message = failure(command({"sleep", "30"}), limits);
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_THAT(message, HasSubstr("did not finish within 300 ms"));
    EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(ResolveSecret, CommandWhoseChildKeepsThePipeOpenIsKilledWhole) {
    CommandLimits limits;
    limits.timeout = std::chrono::milliseconds(300);
    auto started = std::chrono::steady_clock::now();
    std::string message = failure(command({"sh", "-c", "sleep 30 & wait"}), limits);
    EXPECT_THAT(message, HasSubstr("did not finish"));
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(ResolveSecret, CommandThatClosesStdoutButLingersIsKilled) {
    CommandLimits limits;
    limits.timeout = std::chrono::milliseconds(300);
    std::string message = failure(command({"sh", "-c", "echo x; exec >&- 2>&-; sleep 30"}), limits);
    EXPECT_THAT(message, HasSubstr("did not exit"));
}

TEST(ResolveSecret, CommandOutputIsBounded) {
    CommandLimits limits;
    limits.max_output = 1000;
    std::string message = failure(command({"sh", "-c", "yes stdout-flood"}), limits);
    EXPECT_THAT(message, HasSubstr("more than 1000 bytes"));
    EXPECT_THAT(message, Not(HasSubstr("stdout-flood")));
    limits.max_output = 64 * 1024;
    auto exact = resolve_secret(command({"head", "-c", "65536", "/dev/zero"}), limits);
    ASSERT_TRUE(exact.ok()) << exact.error().message;
    EXPECT_EQ(exact->reveal().size(), 65536u);
}

// Names of the variables in `env` output ("NAME=value" lines).
std::vector<std::string> variable_names(const std::string& env_output) {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start < env_output.size()) {
        std::size_t end = env_output.find('\n', start);
        if (end == std::string::npos) end = env_output.size();
        std::string line = env_output.substr(start, end - start);
        names.push_back(line.substr(0, line.find('=')));
        start = end + 1;
    }
    return names;
}

TEST(ResolveSecret, CommandGetsOnlyTheAllowedEnvironment) {
    ::setenv("MB_SECRET_TEST_HIDDEN", "hidden-value", 1);
    ::setenv("MB_SECRET_TEST_PASSED", "passed-value", 1);
    std::string saved_home = std::getenv("HOME") ? std::getenv("HOME") : "";
    ::setenv("HOME", "/home/secret-test", 1);
    SecretSource source = command({"env"});
    source.command_env = {"MB_SECRET_TEST_PASSED", "MB_SECRET_TEST_UNSET"};
    std::string output = resolved(source);
    ::unsetenv("MB_SECRET_TEST_HIDDEN");
    ::unsetenv("MB_SECRET_TEST_PASSED");
    if (saved_home.empty())
        ::unsetenv("HOME");
    else
        ::setenv("HOME", saved_home.c_str(), 1);

    EXPECT_THAT(output, HasSubstr("MB_SECRET_TEST_PASSED=passed-value"));
    EXPECT_THAT(output, HasSubstr("HOME=/home/secret-test"));
    EXPECT_THAT(output, HasSubstr("PATH="));
    EXPECT_THAT(output, Not(HasSubstr("MB_SECRET_TEST_HIDDEN")));
    EXPECT_THAT(output, Not(HasSubstr("MB_SECRET_TEST_UNSET")));
    std::vector<std::string> allowed(std::begin(always_passed_env), std::end(always_passed_env));
    allowed.push_back("MB_SECRET_TEST_PASSED");
    for (const std::string& name : variable_names(output))
        EXPECT_THAT(allowed, ::testing::Contains(name)) << "the command got " << name;
}

TEST(ResolveSecret, CommandGetsADefaultPathWhenTheDaemonHasNone) {
    std::string saved_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::unsetenv("PATH");
    std::string output = resolved(command({"/usr/bin/env"}));
    if (!saved_path.empty()) ::setenv("PATH", saved_path.c_str(), 1);
    EXPECT_THAT(output, HasSubstr(std::string("PATH=") + default_command_path));
}

TEST(ResolveSecret, CommandGetsEmptyStdin) {
    EXPECT_EQ(resolved(command({"sh", "-c", "cat; echo done"})), "done");
}

TEST(ResolveSecret, ResolvedValuesAreRegisteredForRedaction) {
    ::setenv("MB_SECRET_TEST_REDACT", "redact-me-please", 1);
    EXPECT_EQ(resolved(env("MB_SECRET_TEST_REDACT")), "redact-me-please");
    EXPECT_EQ(log::scrub("token redact-me-please here"), "token *** here");
    EXPECT_EQ(resolved(command({"echo", "command-redacted"})), "command-redacted");
    EXPECT_EQ(log::scrub("x command-redacted"), "x ***");
    EXPECT_EQ(resolved(literal("literal-redacted")), "literal-redacted");
    EXPECT_EQ(log::scrub("literal-redacted"), "***");
    ::unsetenv("MB_SECRET_TEST_REDACT");
}

}  // namespace
}  // namespace mb::config
