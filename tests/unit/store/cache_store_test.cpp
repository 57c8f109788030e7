// Tests for CacheStore: partial upserts, UIDVALIDITY changes, deletes by UID set, renames,
// isolation between logins, listings, row counts and byte-exact BLOB round trips.
#include "store/cache_store.h"

#include <gtest/gtest.h>

#include "tests/unit/store/temp_dir.h"

namespace mb::store {
namespace {

using namespace std::string_literals;

const Owner kAlice{"corp", "alice@example.com"};
const Owner kBob{"corp", "bob@example.com"};

class CacheStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = CacheStore::open(temp_.path() / "cache.db");
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_.emplace(std::move(*opened));
    }
    CacheStore& store() { return *store_; }

    void put(const Owner& owner, const std::string& mailbox, std::uint32_t uid,
             std::optional<std::string> flags = "\\Seen") {
        MessageUpdate update;
        update.uid = uid;
        update.flags = std::move(flags);
        auto done = store().upsert_message(owner, mailbox, 100, update);
        ASSERT_TRUE(done.ok()) << done.error().message;
        ASSERT_TRUE(*done);
    }
    std::vector<std::uint32_t> uids(const Owner& owner, const std::string& mailbox) {
        auto listed = store().messages(owner, mailbox);
        EXPECT_TRUE(listed.ok());
        std::vector<std::uint32_t> out;
        for (const auto& message : *listed) out.push_back(message.uid);
        return out;
    }

    testing::TempDir temp_;
    std::optional<CacheStore> store_;
};

TEST_F(CacheStoreTest, PartialUpdatesMergeIntoTheRow) {
    MessageUpdate full;
    full.uid = 7;
    full.flags = "\\Seen";
    full.rfc822_size = 1234;
    full.internal_date = "17-Jul-1996 02:44:25 -0700";
    full.modseq = 5;
    full.envelope =
        R"(("Mon, 7 Feb 1994" "hello" (("A" NIL "a" "x")) NIL NIL ((NIL NIL "b" "y")) NIL NIL )"
        R"(NIL "<id@x>"))";
    ASSERT_TRUE(*store().upsert_message(kAlice, "INBOX", 100, full));

    MessageUpdate flags_only;
    flags_only.uid = 7;
    flags_only.flags = "\\Seen \\Flagged";
    flags_only.modseq = 9;
    ASSERT_TRUE(*store().upsert_message(kAlice, "INBOX", 100, flags_only));

    auto stored = store().message(kAlice, "INBOX", 7);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    const StoredMessage& message = **stored;
    EXPECT_EQ(message.flags, "\\Seen \\Flagged");
    EXPECT_EQ(message.modseq, 9u);
    EXPECT_EQ(message.rfc822_size, 1234u);
    EXPECT_EQ(message.internal_date, "17-Jul-1996 02:44:25 -0700");
    ASSERT_TRUE(message.envelope);
    EXPECT_EQ(*message.envelope,
              (EnvelopeFields{"Mon, 7 Feb 1994", "hello", "A <a@x>", "b@y", std::nullopt, "<id@x>",
                              std::nullopt, *full.envelope}));

    // A new envelope replaces every envelope field, NIL ones included.
    MessageUpdate envelope_only;
    envelope_only.uid = 7;
    envelope_only.envelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
    ASSERT_TRUE(*store().upsert_message(kAlice, "INBOX", 100, envelope_only));
    stored = store().message(kAlice, "INBOX", 7);
    EnvelopeFields nil_fields;
    nil_fields.raw = *envelope_only.envelope;
    EXPECT_EQ((*stored)->envelope, nil_fields);
    EXPECT_EQ((*stored)->flags, "\\Seen \\Flagged");

    // An envelope that cannot be read is left out; the other fields of its update still land.
    MessageUpdate unreadable;
    unreadable.uid = 7;
    unreadable.flags = "";
    unreadable.envelope = "(\"only a date\")";
    ASSERT_TRUE(*store().upsert_message(kAlice, "INBOX", 100, unreadable));
    stored = store().message(kAlice, "INBOX", 7);
    EXPECT_EQ((*stored)->envelope, nil_fields);
    EXPECT_EQ((*stored)->flags, "");
}

TEST_F(CacheStoreTest, FlagsOnlyFetchCreatesARowWithItsUid) {
    put(kAlice, "INBOX", 3, "");
    auto listed = store().messages(kAlice, "INBOX");
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].flags, "");
    EXPECT_EQ((*listed)[0].subject, std::nullopt);
    MessageUpdate no_uid;
    EXPECT_FALSE(store().upsert_message(kAlice, "INBOX", 100, no_uid).ok());
    no_uid.uid = 1;
    EXPECT_FALSE(store().upsert_message(kAlice, "INBOX", 0, no_uid).ok());
}

TEST(MessageUpdateFromFetch, NeedsAUid) {
    protocol::imap::FetchData fetch;
    fetch.flags = std::vector<std::string>{"\\Seen", "$X"};
    EXPECT_FALSE(message_update_from_fetch(fetch).has_value());
    auto update = message_update_from_fetch(fetch, 42);
    ASSERT_TRUE(update);
    EXPECT_EQ(update->uid, 42u);
    EXPECT_EQ(update->flags, "\\Seen $X");
    EXPECT_FALSE(update->envelope);
    fetch.uid = 5;
    const std::string raw =
        R"(("d" "s" (("N" NIL "m" "h")) NIL NIL ((NIL NIL "t" "h")) NIL NIL NIL "<i>"))";
    fetch.raw_envelope = raw;
    update = message_update_from_fetch(fetch);
    ASSERT_TRUE(update && update->envelope);
    EXPECT_EQ(update->uid, 5u);
    EXPECT_EQ(update->envelope, raw);
}

TEST(EnvelopeFields, ReadFromTheRawEnvelope) {
    const std::string raw =
        R"(("d" "s" (("N" NIL "m" "h")) NIL NIL ((NIL NIL "t" "h")) NIL NIL NIL "<i>"))";
    auto fields = envelope_fields(raw);
    ASSERT_TRUE(fields.ok()) << fields.error().message;
    EXPECT_EQ(fields->date, "d");
    EXPECT_EQ(fields->subject, "s");
    EXPECT_EQ(fields->from, "N <m@h>");
    EXPECT_EQ(fields->to, "t@h");
    EXPECT_EQ(fields->cc, std::nullopt);
    EXPECT_EQ(fields->message_id, "<i>");
    EXPECT_EQ(fields->in_reply_to, std::nullopt);
    EXPECT_EQ(fields->raw, raw);
    EXPECT_FALSE(envelope_fields("(NIL NIL)").ok());
    EXPECT_FALSE(envelope_fields("").ok());
}

TEST_F(CacheStoreTest, UidvalidityChangeEmptiesTheMailbox) {
    put(kAlice, "INBOX", 1);
    put(kAlice, "INBOX", 2);
    put(kAlice, "Sent", 1);
    ASSERT_TRUE(store().set_mailbox_state({kAlice, "INBOX", 100, 3, 77}).ok());
    EXPECT_FALSE(*store().set_mailbox_state({kAlice, "INBOX", 100, {}, {}}));
    EXPECT_EQ(uids(kAlice, "INBOX"), (std::vector<std::uint32_t>{1, 2}));
    ASSERT_TRUE(store().mark_stale(kAlice, "INBOX").ok());
    auto changed = store().set_mailbox_state({kAlice, "INBOX", 200, {}, {}});
    ASSERT_TRUE(changed.ok());
    EXPECT_TRUE(*changed);
    EXPECT_TRUE(uids(kAlice, "INBOX").empty());
    EXPECT_EQ(uids(kAlice, "Sent"), (std::vector<std::uint32_t>{1}));
    auto boxes = store().mailboxes(kAlice);
    ASSERT_EQ(boxes->size(), 2u);
    EXPECT_EQ((*boxes)[0].name, "INBOX");
    EXPECT_EQ((*boxes)[0].uidvalidity, 200u);
    EXPECT_EQ((*boxes)[0].uidnext, std::nullopt);
    EXPECT_EQ((*boxes)[0].highestmodseq, std::nullopt);
    EXPECT_FALSE((*boxes)[0].stale);
    EXPECT_TRUE((*boxes)[0].last_sync.has_value());
    // Updates still carrying the old UIDVALIDITY are ignored.
    MessageUpdate late;
    late.uid = 5;
    late.flags = "";
    auto ignored = store().upsert_message(kAlice, "INBOX", 100, late);
    ASSERT_TRUE(ignored.ok());
    EXPECT_FALSE(*ignored);
    EXPECT_TRUE(uids(kAlice, "INBOX").empty());
}

TEST_F(CacheStoreTest, DeletesByUidSet) {
    for (std::uint32_t uid = 1; uid <= 10; ++uid) put(kAlice, "INBOX", uid);
    put(kBob, "INBOX", 2);
    auto deleted = store().delete_messages(kAlice, "INBOX", {{2, 4}, {7, 7}, {9, 100}});
    ASSERT_TRUE(deleted.ok());
    EXPECT_EQ(*deleted, 6u);
    EXPECT_EQ(uids(kAlice, "INBOX"), (std::vector<std::uint32_t>{1, 5, 6, 8}));
    EXPECT_EQ(uids(kBob, "INBOX"), (std::vector<std::uint32_t>{2}));
    EXPECT_EQ(*store().delete_messages(kAlice, "Nope", {{1, 1}}), 0u);
}

TEST_F(CacheStoreTest, LoginsAreIsolated) {
    put(kAlice, "INBOX", 1);
    put(kBob, "INBOX", 2);
    put(Owner{"other", "alice@example.com"}, "INBOX", 3);
    EXPECT_EQ(uids(kAlice, "INBOX"), (std::vector<std::uint32_t>{1}));
    EXPECT_EQ(uids(kBob, "INBOX"), (std::vector<std::uint32_t>{2}));
    EXPECT_FALSE(store().message(kBob, "INBOX", 1)->has_value());
    ASSERT_TRUE(store().delete_mailbox(kBob, "INBOX").ok());
    EXPECT_EQ(uids(kAlice, "INBOX"), (std::vector<std::uint32_t>{1}));
    ASSERT_TRUE(store().set_mailbox_state({kBob, "INBOX", 555, {}, {}}).ok());
    EXPECT_EQ(uids(kAlice, "INBOX"), (std::vector<std::uint32_t>{1}));
    EXPECT_EQ(store().mailboxes(kAlice)->at(0).uidvalidity, 100u);
    EXPECT_TRUE(store().mailboxes(Owner{"corp", "carol@example.com"})->empty());
    EXPECT_EQ(*store().logins("corp"),
              (std::vector<std::string>{"alice@example.com", "bob@example.com"}));
    auto counts = store().row_counts();
    ASSERT_TRUE(counts.ok());
    ASSERT_EQ(counts->size(), 2u);
    EXPECT_EQ((*counts)[0].account, "corp");
    EXPECT_EQ((*counts)[0].messages, 1u);
    EXPECT_EQ((*counts)[1].account, "other");
    EXPECT_EQ((*counts)[1].messages, 1u);
}

TEST_F(CacheStoreTest, RenameAndDeleteMailboxes) {
    put(kAlice, "Drafts", 1);
    put(kAlice, "Old", 4);
    put(kAlice, "Target", 9);
    ASSERT_TRUE(store().rename_mailbox(kAlice, "Old", "Target").ok());
    EXPECT_EQ(uids(kAlice, "Target"), (std::vector<std::uint32_t>{4}));
    EXPECT_TRUE(uids(kAlice, "Old").empty());
    ASSERT_TRUE(store().rename_mailbox(kAlice, "Missing", "Else").ok());
    put(kAlice, "INBOX", 2);
    ASSERT_TRUE(store().rename_mailbox(kAlice, "inbox", "Archive").ok());
    EXPECT_TRUE(uids(kAlice, "INBOX").empty());
    EXPECT_TRUE(uids(kAlice, "Archive").empty());
    ASSERT_TRUE(store().delete_mailbox(kAlice, "Drafts").ok());
    auto boxes = store().mailboxes(kAlice);
    ASSERT_EQ(boxes->size(), 1u);
    EXPECT_EQ((*boxes)[0].name, "Target");
    EXPECT_EQ((*boxes)[0].messages, 1u);
}

TEST_F(CacheStoreTest, RenameForgetsInferiorsButNotSiblingsOrOtherLogins) {
    put(kAlice, "Projects", 1);
    put(kAlice, "Projects/2025", 2);
    put(kAlice, "Projects.old", 3);
    put(kAlice, "ProjectsX", 4);
    put(kBob, "Projects/2025", 5);
    ASSERT_TRUE(store().rename_mailbox(kAlice, "Projects", "Archive").ok());
    EXPECT_EQ(uids(kAlice, "Archive"), (std::vector<std::uint32_t>{1}));
    EXPECT_TRUE(uids(kAlice, "Projects/2025").empty());
    EXPECT_TRUE(uids(kAlice, "Projects.old").empty());
    EXPECT_EQ(uids(kAlice, "ProjectsX"), (std::vector<std::uint32_t>{4}));
    EXPECT_EQ(uids(kBob, "Projects/2025"), (std::vector<std::uint32_t>{5}));
}

TEST_F(CacheStoreTest, ApplyDispatchesEveryUpdateKind) {
    MessageUpdate message;
    message.uid = 4;
    message.flags = "";
    ASSERT_TRUE(store().apply(update::MailboxState{kAlice, "A", 9, 10, 11}).ok());
    ASSERT_TRUE(store().apply(update::UpsertMessage{kAlice, "A", 9, message}).ok());
    message.uid = 5;
    ASSERT_TRUE(store().apply(update::UpsertMessage{kAlice, "A", 9, message}).ok());
    ASSERT_TRUE(store().apply(update::DeleteMessages{kAlice, "A", {{4, 4}}}).ok());
    ASSERT_TRUE(store().apply(update::RenameMailbox{kAlice, "A", "B"}).ok());
    ASSERT_TRUE(store().apply(update::MarkStale{kAlice, "B"}).ok());
    auto boxes = store().mailboxes(kAlice);
    ASSERT_EQ(boxes->size(), 1u);
    EXPECT_EQ((*boxes)[0].name, "B");
    EXPECT_TRUE((*boxes)[0].stale);
    EXPECT_EQ((*boxes)[0].uidnext, 10u);
    EXPECT_EQ((*boxes)[0].highestmodseq, 11u);
    EXPECT_EQ(uids(kAlice, "B"), (std::vector<std::uint32_t>{5}));
    ASSERT_TRUE(store().apply(update::DeleteMailbox{kAlice, "B"}).ok());
    EXPECT_TRUE(store().mailboxes(kAlice)->empty());
}

TEST_F(CacheStoreTest, BlobsRoundTripByteExact) {
    std::string every_byte;
    for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
    auto literal = [](const std::string& bytes) {
        return "{" + std::to_string(bytes.size()) + "}\r\n" + bytes;
    };
    // Every byte value, NUL, 8-bit and CRLF reach the stored fields through literals.
    MessageUpdate update;
    update.uid = 1;
    update.envelope = "(" + literal(every_byte) + " " + literal("\0"s) + " ((" +
                      literal("\xff\xfe"s) + " NIL " + literal("a\0b"s) +
                      " \"h\")) NIL NIL NIL NIL NIL " + literal("\r\n"s) + " " +
                      literal(every_byte + every_byte) + ")";
    const std::string mailbox = "Entw&APw-rfe/\xc3\xa4\0x"s;
    ASSERT_TRUE(*store().upsert_message(kAlice, mailbox, 100, update));
    auto stored = store().message(kAlice, mailbox, 1);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    ASSERT_TRUE((*stored)->envelope);
    const EnvelopeFields& fields = *(*stored)->envelope;
    EXPECT_EQ(fields.date, every_byte);
    EXPECT_EQ(fields.subject, "\0"s);
    EXPECT_EQ(fields.from, "\xff\xfe <a\0b@h>"s);
    EXPECT_EQ(fields.in_reply_to, "\r\n"s);
    EXPECT_EQ(fields.message_id, every_byte + every_byte);
    EXPECT_EQ(fields.raw, *update.envelope);
    EXPECT_EQ(store().mailboxes(kAlice)->at(0).name, mailbox);
    EXPECT_FALSE(store().message(kAlice, "Entw&APw-rfe/\xc3\xa4", 1)->has_value());
}

}  // namespace
}  // namespace mb::store
