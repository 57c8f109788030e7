// Tests for TokenCipher and TokenStore: round trips, a wrong key reported as such, tampered and
// swapped values detected, no plaintext in the file, modes of the key file, database and directory.
#include "store/token_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "store/statement.h"
#include "tests/unit/store/temp_dir.h"

namespace mb::store {
namespace {

namespace fs = std::filesystem;
using SystemClock = std::chrono::system_clock;

constexpr std::string_view kAccessText = "ACCESS-TOKEN-PLAINTEXT-0123456789";
constexpr std::string_view kRefreshText = "REFRESH-TOKEN-PLAINTEXT-9876543210";

unsigned mode_of(const fs::path& path) {
    struct stat info {};
    ::stat(path.c_str(), &info);
    return info.st_mode & 0777;
}

std::string file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

StoredToken sample(std::string account = "alice", std::string login = "alice@example.com") {
    StoredToken token;
    token.account = std::move(account);
    token.login = std::move(login);
    token.access_token = Secret(std::string(kAccessText));
    token.refresh_token = Secret(std::string(kRefreshText));
    token.expires_at = SystemClock::time_point(std::chrono::seconds(1'900'000'000));
    token.obtained_at = SystemClock::time_point(std::chrono::seconds(1'800'000'000));
    token.scopes = "openid offline_access";
    return token;
}

TokenCipher cipher_of(char fill) {
    return TokenCipher::from_key(Secret(std::string(kTokenKeyBytes, fill))).value();
}

TEST(TokenCipher, SealsAndOpens) {
    auto cipher = cipher_of('k');
    auto sealed = cipher.seal("hello", "ad");
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->size(), 1 + kTokenNonceBytes + 5 + kTokenTagBytes);
    EXPECT_EQ(sealed->find("hello"), std::string::npos);
    auto opened = cipher.open(*sealed, "ad");
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->reveal(), "hello");
}

TEST(TokenCipher, FreshNonceEveryTime) {
    auto cipher = cipher_of('k');
    EXPECT_NE(cipher.seal("same", "ad").value(), cipher.seal("same", "ad").value());
}

TEST(TokenCipher, EmptyPlaintextRoundTrips) {
    auto cipher = cipher_of('k');
    EXPECT_EQ(cipher.open(cipher.seal("", "ad").value(), "ad").value().reveal(), "");
}

TEST(TokenCipher, WrongKeyTamperingAndOtherRowsFail) {
    auto cipher = cipher_of('k');
    auto sealed = cipher.seal("secret value", "alice").value();
    EXPECT_FALSE(cipher_of('x').open(sealed, "alice").ok());
    EXPECT_FALSE(cipher.open(sealed, "bob").ok());
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        std::string tampered = sealed;
        tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
        auto opened = cipher.open(tampered, "alice");
        ASSERT_FALSE(opened.ok()) << "byte " << i;
        EXPECT_EQ(opened.error().message.find("secret value"), std::string::npos);
    }
    EXPECT_FALSE(cipher.open(sealed.substr(0, sealed.size() - 1), "alice").ok());
    EXPECT_FALSE(cipher.open("", "alice").ok());
    EXPECT_FALSE(cipher.open(std::string(40, '\0'), "alice").ok());
}

TEST(TokenCipher, KeyLengthChecked) {
    EXPECT_FALSE(TokenCipher::from_key(Secret(std::string(31, 'a'))).ok());
    EXPECT_FALSE(TokenCipher::from_key(Secret(std::string(33, 'a'))).ok());
}

TEST(TokenCipher, KeyFileCreatedOnceWithMode0600) {
    testing::TempDir dir;
    const auto file = dir.path() / "token.key";
    auto first = TokenCipher::from_key_file(file);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(fs::file_size(file), kTokenKeyBytes);
    auto second = TokenCipher::from_key_file(file);
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(second->open(first->seal("v", "ad").value(), "ad").ok());
}

TEST(TokenCipher, KeyFileRefusedWhenOpenOrWrongSize) {
    testing::TempDir dir;
    const auto file = dir.path() / "token.key";
    ASSERT_TRUE(TokenCipher::from_key_file(file).ok());
    ::chmod(file.c_str(), 0644);
    auto open = TokenCipher::from_key_file(file);
    ASSERT_FALSE(open.ok());
    EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos);
    ::chmod(file.c_str(), 0600);
    std::ofstream(file, std::ios::app) << "x";
    auto wrong = TokenCipher::from_key_file(file);
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("33 bytes"), std::string::npos);
}

TEST(TokenStore, RoundTripAndReplace) {
    testing::TempDir dir;
    auto store = TokenStore::open_in(dir.path() / "state", std::nullopt);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE(store->put(sample()).ok());
    StoredToken shared = sample("corp", "");
    shared.refresh_token = Secret();
    shared.expires_at.reset();
    ASSERT_TRUE(store->put(shared).ok());

    auto got = store->get("alice", "alice@example.com");
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->access_token.reveal(), kAccessText);
    EXPECT_EQ((*got)->refresh_token.reveal(), kRefreshText);
    EXPECT_EQ((*got)->expires_at, sample().expires_at);
    EXPECT_EQ((*got)->obtained_at, sample().obtained_at);
    EXPECT_EQ((*got)->scopes, "openid offline_access");
    EXPECT_FALSE(store->get("alice", "bob@example.com").value().has_value());

    auto corp = store->get("corp", "").value();
    ASSERT_TRUE(corp.has_value());
    EXPECT_TRUE(corp->refresh_token.empty());
    EXPECT_FALSE(corp->expires_at.has_value());

    StoredToken rotated = sample();
    rotated.access_token = Secret("new-access");
    rotated.refresh_token = Secret("new-refresh");
    ASSERT_TRUE(store->put(rotated).ok());
    auto all = store->load_all();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].account, "alice");
    EXPECT_EQ((*all)[0].refresh_token.reveal(), "new-refresh");

    ASSERT_TRUE(store->remove("corp", "").ok());
    EXPECT_EQ(store->load_all()->size(), 1u);
}

TEST(TokenStore, SurvivesReopen) {
    testing::TempDir dir;
    {
        auto store = TokenStore::open_in(dir.path(), std::nullopt).value();
        ASSERT_TRUE(store.put(sample()).ok());
    }
    auto store = TokenStore::open_in(dir.path(), std::nullopt);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ(store->get("alice", "alice@example.com").value()->access_token.reveal(), kAccessText);
}

TEST(TokenStore, PassphraseKeyNeedsNoKeyFile) {
    testing::TempDir dir;
    {
        auto store = TokenStore::open_in(dir.path(), Secret("s3cret")).value();
        ASSERT_TRUE(store.put(sample()).ok());
    }
    EXPECT_FALSE(fs::exists(dir.path() / kTokenKeyFile));
    EXPECT_TRUE(TokenStore::open_in(dir.path(), Secret("s3cret")).ok());
    auto wrong = TokenStore::open_in(dir.path(), Secret("other"));
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("does not match"), std::string::npos);
}

TEST(TokenStore, WrongKeyFileIsAClearError) {
    testing::TempDir dir;
    ASSERT_TRUE(TokenStore::open_in(dir.path(), std::nullopt).value().put(sample()).ok());
    fs::remove(dir.path() / kTokenKeyFile);
    auto reopened = TokenStore::open_in(dir.path(), std::nullopt);
    ASSERT_FALSE(reopened.ok());
    EXPECT_NE(reopened.error().message.find("does not match"), std::string::npos);
    EXPECT_NE(reopened.error().message.find("mailbridge auth"), std::string::npos);
}

TEST(TokenStore, FilesHoldNoPlaintextAndHaveTightModes) {
    testing::TempDir dir;
    const auto state = dir.path() / "state";
    {
        auto store = TokenStore::open_in(state, std::nullopt).value();
        ASSERT_TRUE(store.put(sample()).ok());
        ASSERT_TRUE(store.put(sample("bob", "bob@example.com")).ok());
    }
    EXPECT_EQ(mode_of(state), 0700u);
    EXPECT_EQ(mode_of(state / kTokenKeyFile), 0600u);
    EXPECT_EQ(mode_of(state / kTokenStoreFile), 0600u);
    for (const auto& entry : fs::directory_iterator(state)) {
        const std::string bytes = file_bytes(entry.path());
        EXPECT_EQ(bytes.find(kAccessText), std::string::npos) << entry.path();
        EXPECT_EQ(bytes.find(kRefreshText), std::string::npos) << entry.path();
        EXPECT_EQ(bytes.find("TOKEN"), std::string::npos) << entry.path();
    }
}

TEST(TokenStore, TamperedOrSwappedRowsAreDetected) {
    testing::TempDir dir;
    auto store = TokenStore::open_in(dir.path(), std::nullopt).value();
    ASSERT_TRUE(store.put(sample()).ok());
    ASSERT_TRUE(store.put(sample("bob", "bob@example.com")).ok());
    {
        auto raw = Database::open(dir.path() / kTokenStoreFile, token_schema()).value();
        ASSERT_TRUE(raw.exec("UPDATE tokens SET access_token = (SELECT access_token FROM tokens "
                             "WHERE account = 'bob') WHERE account = 'alice'")
                        .ok());
    }
    auto swapped = store.get("alice", "alice@example.com");
    ASSERT_FALSE(swapped.ok());
    EXPECT_NE(swapped.error().message.find("account alice"), std::string::npos);
    EXPECT_FALSE(store.load_all().ok());
    {
        auto raw = Database::open(dir.path() / kTokenStoreFile, token_schema()).value();
        ASSERT_TRUE(raw.exec("UPDATE tokens SET refresh_token = "
                             "substr(refresh_token, 1, 20) || x'00' || substr(refresh_token, 22) "
                             "WHERE account = 'bob'")
                        .ok());
    }
    EXPECT_FALSE(store.get("bob", "bob@example.com").ok());
}

TEST(TokenStore, RefusalDropsOnlyTheUsedRefreshToken) {
    testing::TempDir dir;
    auto store = TokenStore::open_in(dir.path(), std::nullopt).value();
    ASSERT_TRUE(store.put(sample()).ok());
    ASSERT_TRUE(store.put(sample("alice", "carol@example.com")).ok());
    ASSERT_TRUE(
        store.record_refusal("alice", "alice@example.com", Secret("stale"), "refused").ok());
    EXPECT_EQ(store.get("alice", "alice@example.com").value()->refresh_token.reveal(),
              kRefreshText);
    ASSERT_TRUE(store
                    .record_refusal("alice", "alice@example.com", Secret(std::string(kRefreshText)),
                                    "authorization required")
                    .ok());
    auto refused = store.get("alice", "alice@example.com").value();
    EXPECT_TRUE(refused->refresh_token.empty());
    EXPECT_EQ(refused->last_error, "authorization required");
    EXPECT_EQ(store.get("alice", "carol@example.com").value()->refresh_token.reveal(),
              kRefreshText);
    EXPECT_TRUE(store.record_refusal("nobody", "x", Secret("y"), "z").ok());
}

}  // namespace
}  // namespace mb::store
