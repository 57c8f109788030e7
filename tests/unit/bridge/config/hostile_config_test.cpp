// Hostile configuration input: garbage bytes, absurd nesting, huge strings and key counts must
// give diagnostics (quickly), never a crash or a hang.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "bridge/config/config_loader.h"
#include "bridge/config/toml_depth_guard.h"

namespace mb::config {
namespace {

using ::testing::HasSubstr;

LoadResult load(std::string_view text) {
    return load_config_text(text, "/nonexistent/hostile.toml");
}

void expect_problems(std::string_view text) {
    LoadResult result = load(text);
    EXPECT_FALSE(result.problems.empty());
    EXPECT_FALSE(result.config.has_value());
}

std::string repeat(std::string_view unit, std::size_t times) {
    std::string text;
    text.reserve(unit.size() * times);
    for (std::size_t i = 0; i < times; ++i) text += unit;
    return text;
}

TEST(HostileConfig, RandomBytesNeverCrash) {
    std::mt19937 random(20240601);
    for (int round = 0; round < 500; ++round) {
        std::string text(random() % 2048, '\0');
        for (char& c : text) c = static_cast<char>(random());
        LoadResult result = load(text);
        EXPECT_EQ(result.config.has_value(), result.problems.empty());
    }
}

TEST(HostileConfig, MutatedValidFilesNeverCrash) {
    const std::string valid =
        "[daemon]\nlog_level = 3\nhealth_listen = \"127.0.0.1:8025\"\n"
        "[[server]]\nname = \"imap\"\nprotocol = \"imap\"\nlisten = \"127.0.0.1:1143\"\n"
        "upstream = \"h:993\"\n[[account]]\nname = \"a\"\nlogin = \"a@b\"\n"
        "local_password = { hash = \"x\" }\nclient_id = \"c\"\nissuer = \"https://i\"\n";
    const char replacements[] = {'"',  '\'', '[',  ']',  '{', '}', '=', '.',
                                 '\n', '#',  '\\', '\0', ',', 'x', '1', ' '};
    for (std::size_t i = 0; i < valid.size(); ++i) {
        for (char replacement : replacements) {
            std::string text = valid;
            text[i] = replacement;
            LoadResult result = load(text);
            EXPECT_EQ(result.config.has_value(), result.problems.empty());
        }
    }
}

TEST(HostileConfig, BinaryGarbageAndNulBytes) {
    expect_problems(std::string("\x00\x01\x02\xff\xfe", 5));
    expect_problems(std::string("[daemon]\nlog_file = \"a\0b\"\n", 26));
    expect_problems("[daemon]\nlog_file = \"\xc3\x28\"\n");  // invalid UTF-8
    expect_problems("\xef\xbb\xbf[daemo]\n");                // BOM, then an unknown table
}

TEST(HostileConfig, DeeplyDottedKeysAreRefusedBeforeParsing) {
    LoadResult result = load("a" + repeat(".a", 100000) + " = 1\n");
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_THAT(result.problems[0].message, HasSubstr("nest deeper than"));
    EXPECT_EQ(result.problems[0].line, 1);
}

TEST(HostileConfig, DeeplyNestedHeadersAreRefused) {
    expect_problems("[a" + repeat(".a", 100000) + "]\n");
    expect_problems("[[a" + repeat(".a", 100000) + "]]\n");
    // Shallow header plus deep key still adds up.
    expect_problems("[a" + repeat(".a", 20) + "]\n" + "b" + repeat(".b", 20) + " = 1\n");
}

TEST(HostileConfig, DeeplyNestedArraysAndInlineTables) {
    expect_problems("a = " + repeat("[", 100000) + repeat("]", 100000) + "\n");
    expect_problems("a = " + repeat("{b = ", 100000) + "1" + repeat("}", 100000) + "\n");
    expect_problems("a = " + repeat("[", 100000) + "\n");
    expect_problems("a = " + repeat("{b.c.d = ", 50000) + "\n");
    // Dots of the keys at each open level add up: 17 levels of "{b.c = " nest 34 deep.
    auto place = find_excessive_nesting("a = " + repeat("{b.c = ", 17) + "1" + repeat("}", 17));
    ASSERT_TRUE(place.has_value());
    EXPECT_FALSE(find_excessive_nesting("a = " + repeat("{b.c = ", 15) + "1" + repeat("}", 15) +
                                        "\n" + repeat("{x.y = 1}, ", 100))
                     .has_value());
}

TEST(HostileConfig, DotsAndBracketsInsideStringsAndCommentsDoNotCount) {
    EXPECT_FALSE(find_excessive_nesting("a = \"" + repeat(".[{", 1000) + "\"\n").has_value());
    EXPECT_FALSE(find_excessive_nesting("a = '" + repeat(".[{", 1000) + "'\n").has_value());
    EXPECT_FALSE(
        find_excessive_nesting("a = \"\"\"\n" + repeat(".[{\"\n", 100) + "\"\"\"\n").has_value());
    EXPECT_FALSE(find_excessive_nesting("a = '''" + repeat(".[{'\n", 100) + "'''''\n").has_value());
    EXPECT_FALSE(find_excessive_nesting("# " + repeat(".[{", 1000) + "\n").has_value());
    EXPECT_FALSE(find_excessive_nesting("a = \"\\\"" + repeat(".", 100) + "\"\n").has_value());
    EXPECT_FALSE(find_excessive_nesting("a = [" + repeat("1.5, ", 1000) + "]\n").has_value());
    EXPECT_TRUE(find_excessive_nesting("a = \"x\"\n" + repeat("b.", 40) + "c = 1\n").has_value());
    auto place = find_excessive_nesting("x = 1\n" + repeat("b.", 40) + "c = 1\n");
    ASSERT_TRUE(place.has_value());
    EXPECT_EQ(place->line, 2);
    EXPECT_EQ(place->column, 2 * (max_toml_nesting + 1));
}

TEST(HostileConfig, HugeStrings) {
    const std::string huge(900 * 1024, 'x');
    LoadResult result = load("[[proxy]]\nname = \"" + huge + "\"\nurl = \"http://" + "p\"\n");
    EXPECT_FALSE(result.problems.empty());
    for (const auto& problem : result.problems) EXPECT_LT(problem.message.size(), 2 * huge.size());
    expect_problems("[daemon]\n" + huge + " = 1\n");
    expect_problems("[daemon]\nlog_file = \"" + huge + "\n");
}

TEST(HostileConfig, OversizedFileIsRefusedUnparsed) {
    LoadResult result = load(std::string(max_config_file_size + 1, '#'));
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].line, 0);
    EXPECT_THAT(result.problems[0].message, HasSubstr("larger than"));
}

TEST(HostileConfig, ManyTablesAreCheckedQuicklyAndProblemsCapped) {
    std::string text;
    for (int i = 0; text.size() < max_config_file_size - 100; ++i)
        text += "[[server]]\nlisten = \"h" + std::to_string(i) + ":1\"\nproxy = \"x\"\n";
    LoadResult result = load(text);
    ASSERT_EQ(result.problems.size(), 1001u);
    EXPECT_EQ(result.problems.back().line, 0);
    EXPECT_THAT(result.problems.back().message, HasSubstr("more problems not shown"));
}

TEST(HostileConfig, ManyDuplicatesStayLinear) {
    std::string text;
    for (int i = 0; text.size() < max_config_file_size - 200; ++i)
        text +=
            "[[account]]\nname = \"a\"\nlogin = \"a@b\"\nauth = \"password\"\n"
            "upstream_password = \"p\"\n";
    LoadResult result = load(text);
    EXPECT_EQ(result.problems.size(), 1001u);
}

}  // namespace
}  // namespace mb::config
