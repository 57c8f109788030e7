// Tests for the redacting log sink: registered secrets never reach a log line, at any level.
#include "bridge/log/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class LogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("mb-log-test-" + std::to_string(::getpid()) + ".log");
        std::filesystem::remove(path_);
    }
    void TearDown() override { std::filesystem::remove(path_); }
    std::filesystem::path path_;
};

TEST_F(LogTest, RegisteredSecretIsMaskedAtEveryLevel) {
    ASSERT_TRUE(mb::log::init({.level = 5, .file = path_.string()}).ok());
    mb::log::register_secret("s3cr3t-token-value");
    spdlog::error("error with s3cr3t-token-value inside");
    spdlog::warn("warn s3cr3t-token-value");
    spdlog::info("info s3cr3t-token-value");
    spdlog::debug("debug s3cr3t-token-value");
    spdlog::trace("trace s3cr3t-token-values-suffix");
    spdlog::default_logger()->flush();
    std::string text = read_file(path_);
    EXPECT_EQ(text.find("s3cr3t-token-value"), std::string::npos) << text;
    EXPECT_NE(text.find("error with *** inside"), std::string::npos) << text;
    EXPECT_NE(text.find("trace ***s-suffix"), std::string::npos) << text;
    mb::log::forget_secret("s3cr3t-token-value");
}

TEST_F(LogTest, LongerSecretContainingShorterIsMaskedWhole) {
    mb::log::register_secret("abcd");
    mb::log::register_secret("xxabcdyy");
    EXPECT_EQ(mb::log::scrub("1 xxabcdyy 2 abcd"), "1 *** 2 ***");
    mb::log::forget_secret("abcd");
    mb::log::forget_secret("xxabcdyy");
    EXPECT_EQ(mb::log::scrub("abcd"), "abcd");
}

TEST_F(LogTest, ShortValuesAreNotRegistered) {
    mb::log::register_secret("ab");
    EXPECT_EQ(mb::log::scrub("ab ab"), "ab ab");
}

TEST_F(LogTest, LevelFiltersAndChangesAtOnce) {
    ASSERT_TRUE(mb::log::init({.level = 2, .file = path_.string()}).ok());
    spdlog::info("hidden-info");
    spdlog::warn("shown-warning");
    mb::log::set_level(3);
    spdlog::info("shown-info");
    spdlog::default_logger()->flush();
    std::string text = read_file(path_);
    EXPECT_EQ(text.find("hidden-info"), std::string::npos);
    EXPECT_NE(text.find("shown-warning"), std::string::npos);
    EXPECT_NE(text.find("shown-info"), std::string::npos);
    EXPECT_EQ(mb::log::level(), 3);
}

TEST_F(LogTest, JournalModeHasPriorityPrefixAndNoTimestamp) {
    ASSERT_TRUE(mb::log::init({.level = 3, .file = path_.string(), .journal = true}).ok());
    spdlog::error("broken");
    spdlog::info("fine");
    spdlog::default_logger()->flush();
    EXPECT_EQ(read_file(path_), "<3>broken\n<6>fine\n");
}

TEST_F(LogTest, UnwritableLogFileIsAClearError) {
    auto result = mb::log::init({.level = 3, .file = "/nonexistent-dir/x.log"});
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("/nonexistent-dir/x.log"), std::string::npos);
}

}  // namespace
