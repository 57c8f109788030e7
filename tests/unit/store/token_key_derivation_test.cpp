// Tests of the token store's passphrase key: scrypt with a per-store salt kept in key_derivation,
// the one-time migration of a store sealed under the legacy HKDF key, and wrong passphrases.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "store/statement.h"
#include "store/token_store.h"
#include "tests/unit/store/temp_dir.h"

namespace mb::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kAccessText = "ACCESS-TOKEN-PLAINTEXT-0123456789";
constexpr std::string_view kRefreshText = "REFRESH-TOKEN-PLAINTEXT-9876543210";

StoredToken sample(std::string account, std::string login) {
    StoredToken token;
    token.account = std::move(account);
    token.login = std::move(login);
    token.access_token = Secret(std::string(kAccessText));
    token.refresh_token = Secret(std::string(kRefreshText));
    token.obtained_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    return token;
}

struct DerivationRow {
    std::string kdf;
    std::string salt;
    std::int64_t n = 0, r = 0, p = 0;
};

// The key_derivation row of a token store file, if any.
std::optional<DerivationRow> derivation_row(const fs::path& file) {
    auto db = Database::open(file, token_schema()).value();
    auto query =
        Statement::prepare(
            db.handle(),
            "SELECT kdf, salt, scrypt_n, scrypt_r, scrypt_p FROM key_derivation WHERE id = 1")
            .value();
    if (!query.step().value()) return std::nullopt;
    return DerivationRow{query.bytes(0), query.bytes(1), query.int64(2), query.int64(3),
                         query.int64(4)};
}

TEST(TokenKeyDerivation, ScryptDependsOnPassphraseAndSalt) {
    const std::string salt(kTokenSaltBytes, 's');
    auto a = TokenCipher::from_passphrase(Secret("correct horse"), salt).value();
    auto b = TokenCipher::from_passphrase(Secret("correct horse"), salt).value();
    auto other_salt =
        TokenCipher::from_passphrase(Secret("correct horse"), std::string(kTokenSaltBytes, 't'))
            .value();
    auto other_passphrase = TokenCipher::from_passphrase(Secret("correct horsf"), salt).value();
    auto legacy = TokenCipher::from_legacy_hkdf_passphrase(Secret("correct horse")).value();
    auto sealed = a.seal("v", "ad").value();
    EXPECT_TRUE(b.open(sealed, "ad").ok());
    EXPECT_FALSE(other_salt.open(sealed, "ad").ok());
    EXPECT_FALSE(other_passphrase.open(sealed, "ad").ok());
    EXPECT_FALSE(legacy.open(sealed, "ad").ok());
}

TEST(TokenKeyDerivation, RefusesEmptyPassphraseBadSaltAndInsaneCost) {
    const std::string salt(kTokenSaltBytes, 's');
    EXPECT_FALSE(TokenCipher::from_passphrase(Secret(), salt).ok());
    EXPECT_FALSE(TokenCipher::from_legacy_hkdf_passphrase(Secret()).ok());
    EXPECT_FALSE(TokenCipher::from_passphrase(Secret("p"), "short").ok());
    auto huge = TokenCipher::from_passphrase(Secret("p"), salt, ScryptCost{1ull << 30, 8, 1});
    ASSERT_FALSE(huge.ok());
    EXPECT_NE(huge.error().message.find("damaged"), std::string::npos);
    EXPECT_FALSE(TokenCipher::from_passphrase(Secret("p"), salt, ScryptCost{1000, 8, 1}).ok());
}

TEST(TokenKeyDerivation, EachNewStoreGetsItsOwnSalt) {
    testing::TempDir first;
    testing::TempDir second;
    for (const auto* dir : {&first, &second}) {
        auto store = TokenStore::open_in(dir->path(), Secret("same passphrase"));
        ASSERT_TRUE(store.ok()) << store.error().message;
        ASSERT_TRUE(store->put(sample("alice", "")).ok());
        EXPECT_TRUE(store->notices().empty());
    }
    auto a = derivation_row(first.path() / kTokenStoreFile);
    auto b = derivation_row(second.path() / kTokenStoreFile);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->kdf, "scrypt");
    EXPECT_EQ(a->salt.size(), kTokenSaltBytes);
    EXPECT_NE(a->salt, b->salt);
    EXPECT_EQ(a->n, std::int64_t{1} << 15);
    EXPECT_EQ(a->r, 8);
    EXPECT_EQ(a->p, 1);
    // Different salts, different keys: a value of one store does not open with the other's key.
    auto key_a = TokenCipher::from_passphrase(Secret("same passphrase"), a->salt).value();
    auto key_b = TokenCipher::from_passphrase(Secret("same passphrase"), b->salt).value();
    EXPECT_FALSE(key_b.open(key_a.seal("v", "ad").value(), "ad").ok());
    // Reopening uses the stored salt.
    auto reopened = TokenStore::open_in(first.path(), Secret("same passphrase"));
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    EXPECT_EQ(reopened->get("alice", "").value()->access_token.reveal(), kAccessText);
}

// A store as the previous version wrote it: values and key check sealed under the HKDF key, no
// key_derivation row.
void write_legacy_store(const fs::path& dir, const std::string& passphrase) {
    auto legacy = TokenCipher::from_legacy_hkdf_passphrase(Secret(passphrase)).value();
    auto store = TokenStore::open(dir / kTokenStoreFile, legacy);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE(store->put(sample("alice", "alice@example.com")).ok());
    StoredToken shared = sample("corp", "");
    shared.refresh_token = Secret();
    ASSERT_TRUE(store->put(shared).ok());
}

TEST(TokenKeyDerivation, LegacyHkdfStoreIsMigratedOnFirstOpen) {
    testing::TempDir dir;
    write_legacy_store(dir.path(), "old passphrase");
    ASSERT_FALSE(derivation_row(dir.path() / kTokenStoreFile).has_value());

    {
        auto store = TokenStore::open_in(dir.path(), Secret("old passphrase"));
        ASSERT_TRUE(store.ok()) << store.error().message;
        ASSERT_EQ(store->notices().size(), 1u);
        EXPECT_NE(store->notices()[0].find("re-encrypted 2 token row(s)"), std::string::npos);
        auto alice = store->get("alice", "alice@example.com").value();
        ASSERT_TRUE(alice.has_value());
        EXPECT_EQ(alice->access_token.reveal(), kAccessText);
        EXPECT_EQ(alice->refresh_token.reveal(), kRefreshText);
        EXPECT_TRUE(store->get("corp", "").value()->refresh_token.empty());
    }
    auto row = derivation_row(dir.path() / kTokenStoreFile);
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->kdf, "scrypt");
    // The rows are now sealed under the scrypt key only.
    auto with_legacy_key = TokenStore::open(
        dir.path() / kTokenStoreFile,
        TokenCipher::from_legacy_hkdf_passphrase(Secret("old passphrase")).value());
    ASSERT_FALSE(with_legacy_key.ok());
    EXPECT_NE(with_legacy_key.error().message.find("does not match"), std::string::npos);
    auto reopened = TokenStore::open_in(dir.path(), Secret("old passphrase"));
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    EXPECT_TRUE(reopened->notices().empty());
    EXPECT_EQ(reopened->load_all().value().size(), 2u);
}

TEST(TokenKeyDerivation, WrongPassphraseIsAClearErrorAndLeavesALegacyStoreAlone) {
    testing::TempDir dir;
    write_legacy_store(dir.path(), "old passphrase");
    auto wrong = TokenStore::open_in(dir.path(), Secret("not it"));
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("does not match"), std::string::npos);
    EXPECT_NE(wrong.error().message.find("token_key"), std::string::npos);
    EXPECT_FALSE(derivation_row(dir.path() / kTokenStoreFile).has_value());
    EXPECT_TRUE(TokenStore::open_in(dir.path(), Secret("old passphrase")).ok());
    auto wrong_after = TokenStore::open_in(dir.path(), Secret("not it"));
    ASSERT_FALSE(wrong_after.ok());
    EXPECT_NE(wrong_after.error().message.find("does not match"), std::string::npos);
}

TEST(TokenKeyDerivation, FailedMigrationLeavesTheLegacyStoreAsItWas) {
    testing::TempDir dir;
    write_legacy_store(dir.path(), "old passphrase");
    const fs::path file = dir.path() / kTokenStoreFile;
    {
        // corp sorts after alice: the migration re-seals alice's row, then fails on corp's.
        auto raw = Database::open(file, token_schema()).value();
        ASSERT_TRUE(
            raw.exec("UPDATE tokens SET access_token = x'0102' WHERE account = 'corp'").ok());
    }
    auto failed = TokenStore::open_in(dir.path(), Secret("old passphrase"));
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("it is unchanged"), std::string::npos)
        << failed.error().message;
    EXPECT_NE(failed.error().message.find("account corp"), std::string::npos);
    EXPECT_FALSE(derivation_row(file).has_value());
    auto legacy = TokenStore::open(
        file, TokenCipher::from_legacy_hkdf_passphrase(Secret("old passphrase")).value());
    ASSERT_TRUE(legacy.ok()) << legacy.error().message;
    EXPECT_EQ(legacy->get("alice", "alice@example.com").value()->access_token.reveal(),
              kAccessText);
}

TEST(TokenKeyDerivation, TwoOpenersOfALegacyStoreBothSucceed) {
    // Like the daemon's worker and the CLI after an upgrade: both find no salt, both derive, one
    // migrates first; the other then takes the salt it wrote.
    testing::TempDir dir;
    write_legacy_store(dir.path(), "old passphrase");
    std::optional<Result<TokenStore>> results[2];
    std::thread openers[2];
    for (int i = 0; i < 2; ++i)
        openers[i] = std::thread([&, i] {
            results[i].emplace(TokenStore::open_in(dir.path(), Secret("old passphrase")));
        });
    for (auto& opener : openers) opener.join();
    for (auto& result : results) {
        ASSERT_TRUE(result->ok()) << result->error().message;
        EXPECT_EQ((*result)->get("alice", "alice@example.com").value()->access_token.reveal(),
                  kAccessText);
    }
}

}  // namespace
}  // namespace mb::store
