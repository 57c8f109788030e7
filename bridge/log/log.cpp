// The redacting spdlog sink and the logger set-up described in log.h.
#include "bridge/log/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "bridge/log/secret_mask.h"

namespace mb::log {
namespace {

std::mutex secrets_mutex;
SecretMask& secrets() {
    static SecretMask mask;
    return mask;
}

int current_level = 3;

// Writes scrubbed lines to stderr or a file; with journal=true prefixes "<N>" per sd-daemon(3).
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    RedactingSink(FILE* out, bool owns, bool journal) : out_(out), owns_(owns), journal_(journal) {}
    ~RedactingSink() override {
        if (owns_ && out_) std::fclose(out_);
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        std::string line = scrub(std::string_view(formatted.data(), formatted.size()));
        if (journal_) line.insert(0, journal_prefix(msg.level));
        std::fwrite(line.data(), 1, line.size(), out_);
    }
    void flush_() override { std::fflush(out_); }

  private:
    static const char* journal_prefix(spdlog::level::level_enum level) {
        switch (level) {
            case spdlog::level::critical:
                return "<2>";
            case spdlog::level::err:
                return "<3>";
            case spdlog::level::warn:
                return "<4>";
            case spdlog::level::info:
                return "<6>";
            default:
                return "<7>";
        }
    }
    FILE* out_;
    bool owns_;
    bool journal_;
};

}  // namespace

spdlog::level::level_enum to_spdlog_level(int level) {
    switch (std::clamp(level, 1, 5)) {
        case 1:
            return spdlog::level::err;
        case 2:
            return spdlog::level::warn;
        case 3:
            return spdlog::level::info;
        case 4:
            return spdlog::level::debug;
        default:
            return spdlog::level::trace;
    }
}

Result<void> init(const Options& options) {
    FILE* out = stderr;
    bool owns = false;
    if (!options.file.empty()) {
        out = std::fopen(options.file.c_str(), "a");
        if (!out)
            return make_error("cannot open log file " + options.file + ": " + std::strerror(errno) +
                              " (check the path and its permissions)");
        owns = true;
    }
    auto sink = std::make_shared<RedactingSink>(out, owns, options.journal);
    sink->set_pattern(options.journal ? "%v" : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    auto logger = std::make_shared<spdlog::logger>("mailbridge", std::move(sink));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
    set_level(options.level);
    return {};
}

void set_level(int level) {
    current_level = std::clamp(level, 1, 5);
    spdlog::set_level(to_spdlog_level(current_level));
}

int level() {
    return current_level;
}

void register_secret(std::string_view value) {
    std::lock_guard lock(secrets_mutex);
    secrets().add(value);
}

void forget_secret(std::string_view value) {
    std::lock_guard lock(secrets_mutex);
    secrets().remove(value);
}

std::size_t registered_secrets() {
    std::lock_guard lock(secrets_mutex);
    return secrets().size();
}

std::string scrub(std::string_view text) {
    std::lock_guard lock(secrets_mutex);
    return secrets().apply(text);
}

}  // namespace mb::log
