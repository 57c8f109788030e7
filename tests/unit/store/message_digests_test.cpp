// Tests for MessageDigests: an upsert counts as unchanged only when the store is certain to hold
// exactly its fields already — known UIDVALIDITY, same message, same value of every field it
// carries — and every update that changes the store's rules (new UIDVALIDITY, expunge, rename,
// delete) makes it forget. Also the memory bound and INBOX's case.
#include "store/message_digests.h"

#include <gtest/gtest.h>

namespace mb::store {
namespace {

const Owner kAlice{"corp", "alice@example.com"};
const Owner kBob{"corp", "bob@example.com"};

update::MailboxState selected(std::uint32_t uidvalidity, const std::string& mailbox = "INBOX",
                              const Owner& owner = kAlice) {
    return update::MailboxState{owner, mailbox, uidvalidity, {}, {}};
}

update::UpsertMessage upsert(std::uint32_t uid, std::optional<std::string> flags,
                             const std::string& mailbox = "INBOX", std::uint32_t uidvalidity = 7,
                             const Owner& owner = kAlice) {
    MessageUpdate message;
    message.uid = uid;
    message.flags = std::move(flags);
    return update::UpsertMessage{owner, mailbox, uidvalidity, message};
}

update::UpsertMessage with_envelope(std::uint32_t uid, const std::string& raw) {
    auto u = upsert(uid, "\\Seen");
    u.message.rfc822_size = 1234;
    u.message.internal_date = "24-Nov-2026 10:00:00 +0000";
    u.message.envelope = raw;
    return u;
}

TEST(MessageDigests, SameFieldsAfterAKnownUidvalidityAreUnchanged) {
    MessageDigests digests;
    digests.record(selected(7));
    auto first = with_envelope(5, "(\"date\" \"subject\" NIL NIL NIL NIL NIL NIL NIL NIL)");
    EXPECT_FALSE(digests.unchanged(first));
    digests.record(first);
    EXPECT_TRUE(digests.unchanged(first));
    EXPECT_TRUE(digests.unchanged(upsert(5, "\\Seen")));  // a subset of what is known
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen \\Flagged")));
    EXPECT_FALSE(digests.unchanged(upsert(5, "")));
    EXPECT_FALSE(digests.unchanged(upsert(6, "\\Seen")));
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen", "INBOX", 8)));
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen", "Sent")));
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen", "INBOX", 7, kBob)));
    auto other = with_envelope(5, "(\"date\" \"another subject\" NIL NIL NIL NIL NIL NIL NIL NIL)");
    EXPECT_FALSE(digests.unchanged(other));
    auto with_modseq = upsert(5, "\\Seen");
    with_modseq.message.modseq = 42;
    EXPECT_FALSE(digests.unchanged(with_modseq));  // a field never seen
    digests.record(with_modseq);
    EXPECT_TRUE(digests.unchanged(with_modseq));
    with_modseq.message.modseq = 43;
    EXPECT_FALSE(digests.unchanged(with_modseq));
}

TEST(MessageDigests, NewFlagsReplaceTheOldOnes) {
    MessageDigests digests;
    digests.record(selected(7));
    digests.record(upsert(5, "\\Seen"));
    digests.record(upsert(5, "\\Seen \\Answered"));
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen")));
    EXPECT_TRUE(digests.unchanged(upsert(5, "\\Seen \\Answered")));
}

TEST(MessageDigests, NothingIsRememberedWithoutAnExactUidvalidity) {
    MessageDigests digests;
    // The store might refuse this upsert (its mailbox may have another UIDVALIDITY).
    digests.record(upsert(5, "\\Seen"));
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen")));
    EXPECT_EQ(digests.messages(), 0u);
    // An upsert under another UIDVALIDITY than the known one is ignored by the store.
    digests.record(selected(7));
    digests.record(upsert(5, "\\Seen", "INBOX", 9));
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen", "INBOX", 9)));
    EXPECT_EQ(digests.messages(), 0u);
}

TEST(MessageDigests, ANewUidvalidityForgetsTheMailbox) {
    MessageDigests digests;
    digests.record(selected(7));
    digests.record(upsert(5, "\\Seen"));
    digests.record(selected(7));  // the same UIDVALIDITY again: the store keeps its rows
    EXPECT_TRUE(digests.unchanged(upsert(5, "\\Seen")));
    digests.record(selected(8));
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen", "INBOX", 8)));
    digests.record(selected(7));  // and back: the store dropped the rows in between
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen")));
    EXPECT_EQ(digests.messages(), 0u);
}

TEST(MessageDigests, ExpungedMessagesAreForgotten) {
    MessageDigests digests;
    digests.record(selected(7));
    for (std::uint32_t uid = 1; uid <= 10; ++uid) digests.record(upsert(uid, ""));
    digests.record(update::DeleteMessages{kAlice, "INBOX", {{3, 4}, {9, 9}}});
    EXPECT_EQ(digests.messages(), 7u);
    EXPECT_FALSE(digests.unchanged(upsert(3, "")));
    EXPECT_FALSE(digests.unchanged(upsert(9, "")));
    EXPECT_TRUE(digests.unchanged(upsert(10, "")));
    // A range far larger than the mailbox (VANISHED 1:*) walks the remembered messages instead.
    digests.record(update::DeleteMessages{kAlice, "INBOX", {{6, 4'000'000'000u}}});
    EXPECT_EQ(digests.messages(), 3u);
    EXPECT_TRUE(digests.unchanged(upsert(5, "")));
    EXPECT_FALSE(digests.unchanged(upsert(10, "")));
}

TEST(MessageDigests, RenameAndDeleteForgetTheOwnersMailboxes) {
    MessageDigests digests;
    for (const Owner& owner : {kAlice, kBob}) {
        digests.record(selected(7, "work", owner));
        digests.record(selected(7, "work/2026", owner));
        digests.record(upsert(1, "", "work", 7, owner));
        digests.record(upsert(1, "", "work/2026", 7, owner));
    }
    digests.record(update::RenameMailbox{kAlice, "work", "archive"});
    EXPECT_FALSE(digests.unchanged(upsert(1, "", "work/2026")));
    EXPECT_TRUE(digests.unchanged(upsert(1, "", "work/2026", 7, kBob)));
    digests.record(update::DeleteMailbox{kBob, "other"});
    EXPECT_FALSE(digests.unchanged(upsert(1, "", "work", 7, kBob)));
    EXPECT_EQ(digests.messages(), 0u);
}

TEST(MessageDigests, InboxIsOneMailboxWhateverItsCase) {
    MessageDigests digests;
    digests.record(selected(7, "inbox"));
    digests.record(upsert(5, "\\Seen", "Inbox"));
    EXPECT_TRUE(digests.unchanged(upsert(5, "\\Seen", "INBOX")));
    // Flags changed through another spelling must not leave the old digest behind.
    digests.record(upsert(5, "", "INBOX"));
    EXPECT_FALSE(digests.unchanged(upsert(5, "\\Seen", "inbox")));
}

TEST(MessageDigests, ForgetAndClear) {
    MessageDigests digests;
    digests.record(selected(7));
    digests.record(selected(7, "Sent"));
    digests.record(upsert(1, ""));
    digests.record(upsert(1, "", "Sent"));
    digests.forget(kAlice, "inbox");
    EXPECT_FALSE(digests.unchanged(upsert(1, "")));
    EXPECT_TRUE(digests.unchanged(upsert(1, "", "Sent")));
    digests.clear();
    EXPECT_FALSE(digests.unchanged(upsert(1, "", "Sent")));
    EXPECT_EQ(digests.messages(), 0u);
}

TEST(MessageDigests, StaysWithinItsBoundByForgettingTheLeastRecentlyUsedMailbox) {
    MessageDigests digests(100);
    digests.record(selected(7, "old"));
    digests.record(selected(7, "new"));
    for (std::uint32_t uid = 1; uid <= 60; ++uid) digests.record(upsert(uid, "", "old"));
    for (std::uint32_t uid = 1; uid <= 60; ++uid) digests.record(upsert(uid, "", "new"));
    EXPECT_LE(digests.messages(), 100u);
    EXPECT_FALSE(digests.unchanged(upsert(1, "", "old")));
    EXPECT_TRUE(digests.unchanged(upsert(60, "", "new")));
    // One mailbox larger than the bound keeps its first messages and writes the rest.
    for (std::uint32_t uid = 61; uid <= 300; ++uid) digests.record(upsert(uid, "", "new"));
    EXPECT_EQ(digests.messages(), 100u);
    EXPECT_TRUE(digests.unchanged(upsert(100, "", "new")));
    EXPECT_FALSE(digests.unchanged(upsert(101, "", "new")));
    // A remembered message still follows its changes when the bound is reached.
    digests.record(upsert(50, "\\Seen", "new"));
    EXPECT_FALSE(digests.unchanged(upsert(50, "", "new")));
    EXPECT_TRUE(digests.unchanged(upsert(50, "\\Seen", "new")));
}

}  // namespace
}  // namespace mb::store
