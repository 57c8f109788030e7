// Tests for ImapCacheObserver: synthetic client/server conversations, each fed whole, one byte at a
// time and split at every boundary, must produce the same cache updates: selection by tagged OK,
// FETCH with and without UID, EXPUNGE shifting, VANISHED, UIDVALIDITY changes, a new SELECT,
// failed SELECT, pipelining, RENAME/DELETE, CLOSE, hostile input and the bounds.
#include "bridge/session/imap_cache_observer.h"

#include "bridge/session/imap_command_filter.h"
#include "bridge/session/imap_response_filter.h"
#include "protocol/limits.h"
#include "store/message_digests.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mb::session {
namespace {

const store::Owner kOwner{"corp", "alice@example.com"};

struct Step {
    bool from_client = false;
    std::string bytes;
};
Step client(std::string bytes) {
    return {true, std::move(bytes)};
}
Step server(std::string bytes) {
    return {false, std::move(bytes)};
}

std::string describe(const store::CacheUpdate& update) {
    using namespace store::update;
    if (auto* u = std::get_if<UpsertMessage>(&update)) {
        std::string out = "upsert " + u->mailbox + " v" + std::to_string(u->uidvalidity) + " uid" +
                          std::to_string(u->message.uid);
        if (u->message.flags) out += " flags[" + *u->message.flags + "]";
        if (u->message.rfc822_size) out += " size" + std::to_string(*u->message.rfc822_size);
        if (u->message.internal_date) out += " date[" + *u->message.internal_date + "]";
        if (u->message.modseq) out += " modseq" + std::to_string(*u->message.modseq);
        if (u->message.envelope) {
            auto fields = store::envelope_fields(*u->message.envelope);
            out += " subject[" + (fields ? fields->subject.value_or("NIL") : "?") + "]";
        }
        return out;
    }
    if (auto* u = std::get_if<DeleteMessages>(&update)) {
        std::string out = "delete " + u->mailbox;
        for (const auto& r : u->uids)
            out += " " + std::to_string(r.first) + ":" + std::to_string(r.last);
        return out;
    }
    if (auto* u = std::get_if<MailboxState>(&update)) {
        std::string out = "state " + u->mailbox;
        if (u->uidvalidity) out += " v" + std::to_string(*u->uidvalidity);
        if (u->uidnext) out += " next" + std::to_string(*u->uidnext);
        if (u->highestmodseq) out += " modseq" + std::to_string(*u->highestmodseq);
        return out;
    }
    if (auto* u = std::get_if<RenameMailbox>(&update)) return "rename " + u->from + " " + u->to;
    if (auto* u = std::get_if<DeleteMailbox>(&update)) return "drop " + u->mailbox;
    if (auto* u = std::get_if<MarkStale>(&update)) return "stale " + u->mailbox;
    return "?";
}

struct Outcome {
    std::vector<std::string> updates;  // every update submitted
    std::vector<std::string> written;  // those a CacheWriter would queue (not left out)
    std::optional<std::string> selected;
    std::vector<std::optional<std::uint32_t>> map;  // uid_at(1..n)
    bool stopped = false;
    std::uint64_t passed_over = 0;
};

// How upstream bytes reach the observer: framed by a bare StreamFramer with the relay's limits, or
// as the events of the relay's ImapResponseFilter (what a session does).
enum class Upstream { OwnFramer, ResponseFilter };

// A relay filter passing bytes on unchanged and handing a bare framer's events to `observer`.
Relay::Filter framed_by_own_framer(std::shared_ptr<ImapCacheObserver> observer,
                                   std::shared_ptr<ImapCommandFilter> commands) {
    auto framer =
        std::make_shared<protocol::imap::StreamFramer>(protocol::imap::StreamFramer::Options{
            .direction = protocol::imap::StreamFramer::Direction::ServerToClient,
            .max_line = 1024 * 1024,
            .max_literal = protocol::limits::kMaxRelayLiteral});
    return [observer, commands, framer](std::string_view in, RelayOutput& out) {
        out.append(in);
        framer->feed(in, [&](const protocol::imap::StreamEvent& event) {
            commands->upstream_event(event);
            observer->upstream_event(event);
        });
    };
}

// Whether the observer may pass over repeated one-line responses (given a writer generation).
enum class LineMemo { Off, On };

// Feeds every step in chunks of `chunk` bytes (0 = whole). Submitted updates go through a model of
// the CacheWriter: MessageDigests leaves out unchanged upserts; a queued one moves the generation.
Outcome run(const std::vector<Step>& steps, std::size_t chunk = 0,
            ImapCacheObserver::Options options = {}, Upstream upstream = Upstream::OwnFramer,
            LineMemo memo = LineMemo::Off) {
    Outcome out;
    auto digests = std::make_shared<store::MessageDigests>();
    auto generation = std::make_shared<std::uint64_t>(1);
    auto observer = std::make_shared<ImapCacheObserver>(
        kOwner,
        [&out, digests, generation](store::CacheUpdate update) {
            EXPECT_EQ(store::owner_of(update), kOwner);
            out.updates.push_back(describe(update));
            const auto* upsert = std::get_if<store::update::UpsertMessage>(&update);
            if (upsert && digests->unchanged(*upsert)) return true;
            digests->record(update);
            ++*generation;
            out.written.push_back(describe(update));
            return true;
        },
        options,
        memo == LineMemo::On ? ImapCacheObserver::Generation([generation] { return *generation; })
                             : ImapCacheObserver::Generation());
    // As the session wires it: the client stream framed once by an ImapCommandFilter.
    auto commands = std::make_shared<ImapCommandFilter>();
    commands->observe(
        [observer](const protocol::imap::StreamEvent& event) { observer->client_event(event); });
    auto client_filter = ImapCommandFilter::wrap(commands);
    Relay::Filter upstream_filter = framed_by_own_framer(observer, commands);
    if (upstream == Upstream::ResponseFilter) {
        auto responses = std::make_shared<ImapResponseFilter>(nullptr);
        responses->observe([commands](const protocol::imap::StreamEvent& event) {
            commands->upstream_event(event);
        });
        responses->observe([observer](const protocol::imap::StreamEvent& event) {
            observer->upstream_event(event);
        });
        upstream_filter = ImapResponseFilter::wrap(responses);
    }
    for (const Step& step : steps) {
        std::string forwarded;
        const std::size_t size = chunk == 0 ? step.bytes.size() : chunk;
        for (std::size_t i = 0; i < step.bytes.size(); i += size) {
            std::string_view piece = std::string_view(step.bytes).substr(i, size);
            RelayOutput output(forwarded);
            if (step.from_client)
                client_filter(piece, output);
            else
                upstream_filter(piece, output);
        }
        if (step.bytes.find("CAPABILITY") == std::string::npos) {
            EXPECT_EQ(forwarded, step.bytes) << "bytes must pass unchanged";
        }
    }
    out.selected = observer->selected_mailbox();
    for (std::uint32_t seq = 1; seq <= observer->known_sequence_count(); ++seq)
        out.map.push_back(observer->uid_at(seq));
    out.stopped = observer->stopped();
    out.passed_over = observer->lines_passed_over();
    return out;
}

// Runs whole, then at every chunk size up to the longest step, and checks they all agree.
Outcome run_every_split(const std::vector<Step>& steps) {
    Outcome whole = run(steps);
    std::size_t longest = 0;
    for (const Step& step : steps) longest = std::max(longest, step.bytes.size());
    for (std::size_t chunk = 1; chunk <= longest; ++chunk) {
        Outcome split = run(steps, chunk);
        EXPECT_EQ(split.updates, whole.updates) << "chunk " << chunk;
        EXPECT_EQ(split.selected, whole.selected) << "chunk " << chunk;
        EXPECT_EQ(split.map, whole.map) << "chunk " << chunk;
        if (split.updates != whole.updates) break;
    }
    // The session's path: the response filter frames, the observer follows its events and passes
    // over repeated lines. What reaches the cache must be the same.
    for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}, longest}) {
        Outcome shared = run(steps, chunk, {}, Upstream::ResponseFilter);
        EXPECT_EQ(shared.updates, whole.updates) << "response filter, chunk " << chunk;
        EXPECT_EQ(shared.selected, whole.selected) << "response filter, chunk " << chunk;
        EXPECT_EQ(shared.map, whole.map) << "response filter, chunk " << chunk;
        Outcome memo = run(steps, chunk, {}, Upstream::ResponseFilter, LineMemo::On);
        EXPECT_EQ(memo.written, whole.written) << "line memo, chunk " << chunk;
        EXPECT_EQ(memo.selected, whole.selected) << "line memo, chunk " << chunk;
        EXPECT_EQ(memo.map, whole.map) << "line memo, chunk " << chunk;
    }
    return whole;
}

const std::string kSelectInbox =
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    "* 3 EXISTS\r\n"
    "* 0 RECENT\r\n"
    "* OK [UIDVALIDITY 7] UIDs valid\r\n"
    "* OK [UIDNEXT 12] Predicted next UID\r\n"
    "* OK [HIGHESTMODSEQ 40] Highest\r\n"
    "a1 OK [READ-WRITE] Select completed.\r\n";

const std::string kEnvelope =
    "ENVELOPE (\"Mon, 2 Feb 2026 10:00:00 +0000\" \"Hello\" ((\"Bob\" NIL \"bob\" "
    "\"example.com\")) "
    "NIL NIL NIL NIL NIL NIL \"<m1@example.com>\")";

TEST(ImapCacheObserver, SelectThenUidFetchCachesEveryItem) {
    Outcome r = run_every_split({
        client("a1 SELECT INBOX\r\n"),
        server(kSelectInbox),
        client("a2 UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE " +
               std::string("ENVELOPE)\r\n")),
        server("* 1 FETCH (UID 5 FLAGS (\\Seen) RFC822.SIZE 1200 INTERNALDATE \"02-Feb-2026 "
               "10:00:00 +0000\" " +
               kEnvelope +
               ")\r\n"
               "* 2 FETCH (UID 8 FLAGS () RFC822.SIZE 99 ENVELOPE (NIL {5}\r\nWorld NIL "
               "NIL NIL NIL NIL NIL NIL NIL))\r\n"
               "* 3 FETCH (FLAGS (\\Flagged) UID 11 BODY[] {11}\r\n* 9 EXPUNGE)\r\n"
               "a2 OK Fetch completed.\r\n"),
    });
    EXPECT_EQ(r.selected, "INBOX");
    std::vector<std::string> expected = {
        "state INBOX v7 next12 modseq40",
        "upsert INBOX v7 uid5 flags[\\Seen] size1200 date[02-Feb-2026 10:00:00 +0000] "
        "subject[Hello]",
        "upsert INBOX v7 uid8 flags[] size99 subject[World]",
        "upsert INBOX v7 uid11 flags[\\Flagged]",
    };
    EXPECT_EQ(r.updates, expected);
    EXPECT_EQ(r.map, (std::vector<std::optional<std::uint32_t>>{5, 8, 11}));
}

std::vector<Step> selected_with_uids() {
    return {
        client("a1 SELECT INBOX\r\n"),
        server(kSelectInbox),
        client("a2 UID FETCH 1:* (UID)\r\n"),
        server("* 1 FETCH (UID 5)\r\n* 2 FETCH (UID 8)\r\n* 3 FETCH (UID 11)\r\na2 OK done\r\n"),
    };
}

std::vector<std::string> after_prefix(const Outcome& r) {
    // Drops the state and the three UID-only upserts of selected_with_uids().
    return {r.updates.begin() + 4, r.updates.end()};
}

TEST(ImapCacheObserver, FetchWithoutUidIsAttributedThroughTheMap) {
    auto steps = selected_with_uids();
    steps.push_back(client("a3 NOOP\r\n"));
    steps.push_back(server("* 2 FETCH (FLAGS (\\Seen \\Answered))\r\na3 OK NOOP\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(after_prefix(r),
              std::vector<std::string>{"upsert INBOX v7 uid8 flags[\\Seen \\Answered]"});
}

TEST(ImapCacheObserver, RepeatedLinesArePassedOverOnlyWhileTheCacheHasNotMoved) {
    const std::string sweep =
        "* 1 FETCH (UID 5 FLAGS (\\Seen))\r\n* 2 FETCH (UID 8 FLAGS ())\r\n"
        "* 3 FETCH (UID 11 FLAGS ())\r\n";
    std::vector<Step> steps = {client("a1 SELECT INBOX\r\n"), server(kSelectInbox)};
    for (int i = 0; i < 3; ++i) {
        steps.push_back(client("p" + std::to_string(i) + " UID FETCH 1:* (UID FLAGS)\r\n"));
        steps.push_back(server(sweep + "p" + std::to_string(i) + " OK done\r\n"));
    }
    // A change seen by sequence number only, then the old sweep again: UID 8 goes back to no
    // flags, which the cache must hear although the line is the one it passed over before.
    steps.push_back(client("n1 NOOP\r\n"));
    steps.push_back(server("* 2 FETCH (FLAGS (\\Flagged))\r\nn1 OK NOOP\r\n"));
    steps.push_back(client("p3 UID FETCH 1:* (UID FLAGS)\r\n"));
    steps.push_back(server(sweep + "p3 OK done\r\n"));
    // Sequence numbers move: the same text now means another message.
    steps.push_back(client("n2 NOOP\r\n"));
    steps.push_back(server("* 1 EXPUNGE\r\nn2 OK NOOP\r\n"));
    steps.push_back(client("f1 FETCH 1 (FLAGS)\r\n"));
    steps.push_back(server("* 1 FETCH (FLAGS ())\r\nf1 OK done\r\n"));
    steps.push_back(client("f2 FETCH 1 (FLAGS)\r\n"));
    steps.push_back(server("* 1 FETCH (FLAGS (\\Seen))\r\nf2 OK done\r\n"));
    Outcome r = run_every_split(steps);
    const std::vector<std::string> written = {
        "state INBOX v7 next12 modseq40",
        "upsert INBOX v7 uid5 flags[\\Seen]",
        "upsert INBOX v7 uid8 flags[]",
        "upsert INBOX v7 uid11 flags[]",
        "upsert INBOX v7 uid8 flags[\\Flagged]",
        "upsert INBOX v7 uid8 flags[]",
        "delete INBOX 5:5",
        "upsert INBOX v7 uid8 flags[\\Seen]",
    };
    EXPECT_EQ(r.written, written);
    EXPECT_EQ(r.passed_over, 0u);  // without a generation every line is parsed
    Outcome memo = run(steps, 0, {}, Upstream::ResponseFilter, LineMemo::On);
    EXPECT_EQ(memo.written, written);
    // Each line of the first sweep moved the cache, so the second sweep is parsed up to its last
    // line (nothing was queued after UID 11's own upsert); the third is passed over whole. The
    // flag change moves the cache again: the fourth sweep is parsed.
    EXPECT_EQ(memo.passed_over, 4u);
    EXPECT_EQ(memo.map, (std::vector<std::optional<std::uint32_t>>{8, 11}));
}

TEST(ImapCacheObserver, ADroppedUpdateIsNeverPassedOver) {
    int submitted = 0;
    std::uint64_t generation = 1;
    auto observer = std::make_shared<ImapCacheObserver>(
        kOwner,
        [&](store::CacheUpdate update) {
            if (!std::holds_alternative<store::update::UpsertMessage>(update)) return true;
            ++submitted;
            return false;  // the queue was full
        },
        ImapCacheObserver::Options{}, [&] { return generation; });
    auto commands = std::make_shared<ImapCommandFilter>();
    commands->observe(
        [observer](const protocol::imap::StreamEvent& event) { observer->client_event(event); });
    auto upstream = framed_by_own_framer(observer, commands);
    std::string forwarded;
    RelayOutput output(forwarded);
    commands->feed("a1 SELECT INBOX\r\n");
    upstream(kSelectInbox, output);
    for (int i = 0; i < 3; ++i) {
        commands->feed("a" + std::to_string(i + 2) + " UID FETCH 1 (UID FLAGS)\r\n");
        upstream("* 1 FETCH (UID 5 FLAGS ())\r\na" + std::to_string(i + 2) + " OK done\r\n",
                 output);
    }
    EXPECT_EQ(submitted, 3);
    EXPECT_EQ(observer->lines_passed_over(), 0u);
}

TEST(ImapCacheObserver, RecentIsNeverCached) {
    auto steps = selected_with_uids();
    steps.push_back(client("a3 NOOP\r\n"));
    steps.push_back(
        server("* 1 FETCH (FLAGS (\\Recent \\Seen))\r\n* 2 FETCH (FLAGS (\\RECENT))\r\n"
               "a3 OK NOOP\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(after_prefix(r), (std::vector<std::string>{"upsert INBOX v7 uid5 flags[\\Seen]",
                                                         "upsert INBOX v7 uid8 flags[]"}));
}

TEST(ImapCacheObserver, FetchWithoutUidAndUnknownSequenceIsNeverGuessed) {
    Outcome r = run_every_split({
        client("a1 SELECT INBOX\r\n"),
        server(kSelectInbox),
        client("a2 FETCH 2 (FLAGS)\r\n"),
        server("* 2 FETCH (FLAGS (\\Seen))\r\na2 OK done\r\n"),
    });
    EXPECT_EQ(r.updates,
              (std::vector<std::string>{"state INBOX v7 next12 modseq40", "stale INBOX"}));
}

TEST(ImapCacheObserver, ExpungeRemovesTheRightUidAndShifts) {
    auto steps = selected_with_uids();
    steps.push_back(client("a3 NOOP\r\n"));
    steps.push_back(server("* 2 EXPUNGE\r\n* 2 EXPUNGE\r\na3 OK NOOP\r\n"));
    steps.push_back(client("a4 FETCH 1 (FLAGS)\r\n"));
    steps.push_back(server("* 1 FETCH (FLAGS (\\Draft))\r\na4 OK done\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(after_prefix(r), (std::vector<std::string>{"delete INBOX 8:8", "delete INBOX 11:11",
                                                         "upsert INBOX v7 uid5 flags[\\Draft]"}));
    EXPECT_EQ(r.map, (std::vector<std::optional<std::uint32_t>>{5}));
}

TEST(ImapCacheObserver, ExistsGrowsTheMapWithUnknownEntries) {
    auto steps = selected_with_uids();
    steps.push_back(client("a3 NOOP\r\n"));
    steps.push_back(server("* 5 EXISTS\r\na3 OK NOOP\r\n"));
    steps.push_back(client("a4 NOOP\r\n"));
    steps.push_back(server("* 5 FETCH (UID 20 FLAGS ())\r\n* 4 EXPUNGE\r\na4 OK NOOP\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(after_prefix(r),
              (std::vector<std::string>{"upsert INBOX v7 uid20 flags[]", "stale INBOX"}));
    EXPECT_EQ(r.map, (std::vector<std::optional<std::uint32_t>>{5, 8, 11, 20}));
}

TEST(ImapCacheObserver, VanishedRemovesByUid) {
    auto steps = selected_with_uids();
    steps.push_back(client("a3 NOOP\r\n"));
    steps.push_back(server("* VANISHED 8:11\r\n* VANISHED (EARLIER) 1:3\r\na3 OK NOOP\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(after_prefix(r), (std::vector<std::string>{"delete INBOX 8:11", "delete INBOX 1:3"}));
    EXPECT_EQ(r.map, (std::vector<std::optional<std::uint32_t>>{5}));
}

TEST(ImapCacheObserver, UidValidityChangeOnReselectStartsOver) {
    auto steps = selected_with_uids();
    steps.push_back(client("a5 SELECT INBOX\r\n"));
    steps.push_back(
        server("* 1 EXISTS\r\n* OK [UIDVALIDITY 9] new\r\n* OK [UIDNEXT 2] n\r\n"
               "a5 OK [READ-WRITE] done\r\n"));
    steps.push_back(client("a6 UID FETCH 1 (FLAGS)\r\n"));
    steps.push_back(server("* 1 FETCH (UID 1 FLAGS ())\r\na6 OK done\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(after_prefix(r),
              (std::vector<std::string>{"state INBOX v9 next2", "upsert INBOX v9 uid1 flags[]"}));
    EXPECT_EQ(r.map, (std::vector<std::optional<std::uint32_t>>{1}));
}

TEST(ImapCacheObserver, UidValidityChangeWhileSelectedIsSentAtOnce) {
    auto steps = selected_with_uids();
    steps.push_back(client("a3 NOOP\r\n"));
    steps.push_back(server("* OK [UIDVALIDITY 99] recreated\r\na3 OK NOOP\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(after_prefix(r), (std::vector<std::string>{"state INBOX v99 next12 modseq40"}));
    EXPECT_EQ(r.map, (std::vector<std::optional<std::uint32_t>>{std::nullopt, std::nullopt,
                                                                std::nullopt}));
}

TEST(ImapCacheObserver, FetchAfterANewSelectBelongsToTheNewMailbox) {
    auto steps = selected_with_uids();
    steps.push_back(client("b1 EXAMINE {7}\r\nArchive\r\n"));
    steps.push_back(
        server("* 2 EXISTS\r\n* OK [UIDVALIDITY 3] v\r\n* OK [READ-ONLY] ro\r\n"
               "b1 OK [READ-ONLY] done\r\n"));
    steps.push_back(client("b2 FETCH 1:2 (UID FLAGS)\r\n"));
    steps.push_back(
        server("* 1 FETCH (UID 40 FLAGS (\\Seen))\r\n* 2 FETCH (FLAGS () UID 41)\r\n"
               "b2 OK done\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(r.selected, "Archive");
    EXPECT_EQ(after_prefix(r),
              (std::vector<std::string>{"state Archive v3", "upsert Archive v3 uid40 flags[\\Seen]",
                                        "upsert Archive v3 uid41 flags[]"}));
}

TEST(ImapCacheObserver, FailedSelectLeavesNothingSelected) {
    auto steps = selected_with_uids();
    steps.push_back(client("a7 SELECT Nope\r\n"));
    steps.push_back(server("a7 NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n"));
    steps.push_back(client("a8 NOOP\r\n"));
    steps.push_back(server("* 1 FETCH (UID 5 FLAGS (\\Seen))\r\n* 1 EXPUNGE\r\na8 OK NOOP\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(r.selected, std::nullopt);
    EXPECT_TRUE(after_prefix(r).empty());
    EXPECT_TRUE(r.map.empty());
}

TEST(ImapCacheObserver, PipelinedCommandsKeepTheirResponsesApart) {
    auto steps = selected_with_uids();
    // The FETCH's answers come before the SELECT starts: they belong to INBOX.
    steps.push_back(client("c1 FETCH 1 (FLAGS)\r\nc2 SELECT Other\r\n"));
    steps.push_back(
        server("* 1 FETCH (FLAGS (\\Seen))\r\nc1 OK done\r\n"
               "* 1 EXISTS\r\n* OK [UIDVALIDITY 5] v\r\n"
               "* 1 FETCH (UID 3 FLAGS ())\r\nc2 OK done\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(r.selected, "Other");
    EXPECT_EQ(after_prefix(r),
              (std::vector<std::string>{"upsert INBOX v7 uid5 flags[\\Seen]", "state Other v5",
                                        "upsert Other v5 uid3 flags[]", "state Other v5"}));
}

TEST(ImapCacheObserver, RenameAndDeleteApplyOnTaggedOkOnly) {
    Outcome r = run_every_split({
        client("r1 RENAME \"Old box\" New\r\nr2 DELETE Gone\r\nr3 DELETE Kept\r\n"
               "r4 RENAME inbox Saved\r\n"),
        server("r1 OK renamed\r\nr2 OK deleted\r\nr3 NO [INUSE] no\r\nr4 OK moved\r\n"),
    });
    EXPECT_EQ(r.updates,
              (std::vector<std::string>{"rename Old box New", "drop Gone", "drop inbox"}));
}

TEST(ImapCacheObserver, CloseAfterStoreMarksTheMailboxStale) {
    auto steps = selected_with_uids();
    steps.push_back(client("s1 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n"));
    steps.push_back(server("s1 OK stored\r\n"));
    steps.push_back(client("s2 CLOSE\r\n"));
    steps.push_back(server("s2 OK closed\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(after_prefix(r), std::vector<std::string>{"stale INBOX"});
    EXPECT_EQ(r.selected, std::nullopt);
}

TEST(ImapCacheObserver, AppendLiteralsAndIdleAreNotMistakenForCommands) {
    auto steps = selected_with_uids();
    steps.push_back(client("p1 APPEND INBOX {21}\r\n"));
    steps.push_back(server("+ go ahead\r\n"));
    steps.push_back(client("p2 SELECT Trap\r\n\r\np3 IDLE\r\n"));
    steps.push_back(server("p1 OK [APPENDUID 7 12] appended\r\n+ idling\r\n* 4 EXISTS\r\n"));
    steps.push_back(client("DONE\r\n"));
    steps.push_back(server("p3 OK idle done\r\n* 4 FETCH (UID 12 FLAGS ())\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(r.selected, "INBOX");
    EXPECT_EQ(after_prefix(r), std::vector<std::string>{"upsert INBOX v7 uid12 flags[]"});
}

TEST(ImapCacheObserver, RefusedSynchronizingLiteralIsAbandoned) {
    auto steps = selected_with_uids();
    steps.push_back(client("q1 SELECT {999999}\r\n"));
    steps.push_back(server("q1 BAD too big\r\n"));
    steps.push_back(client("q2 SELECT Next\r\n"));
    steps.push_back(server("* OK [UIDVALIDITY 4] v\r\nq2 OK done\r\n"));
    Outcome r = run_every_split(steps);
    EXPECT_EQ(r.selected, "Next");
}

TEST(ImapCacheObserver, MapLimitMarksStaleInsteadOfGrowing) {
    ImapCacheObserver::Options options;
    options.max_messages = 2;
    Outcome r = run(
        {client("a1 SELECT INBOX\r\n"), server(kSelectInbox), client("a2 FETCH 1 (UID FLAGS)\r\n"),
         server("* 1 FETCH (UID 5 FLAGS ())\r\n* 1 EXPUNGE\r\na2 OK\r\n")},
        0, options);
    // "* 3 EXISTS" is already over the bound.
    EXPECT_EQ(r.updates, (std::vector<std::string>{"stale INBOX", "state INBOX v7 next12 modseq40",
                                                   "upsert INBOX v7 uid5 flags[]"}));
    EXPECT_TRUE(r.map.empty());
}

TEST(ImapCacheObserver, TooManyOutstandingCommandsStopsObserving) {
    ImapCacheObserver::Options options;
    options.max_outstanding = 3;
    Outcome r = run({client("a1 SELECT INBOX\r\n"), server(kSelectInbox),
                     client("b1 NOOP\r\nb2 NOOP\r\nb3 NOOP\r\nb4 NOOP\r\n"),
                     server("* 1 FETCH (UID 5 FLAGS ())\r\n")},
                    0, options);
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.updates,
              (std::vector<std::string>{"state INBOX v7 next12 modseq40", "stale INBOX"}));
}

TEST(ImapCacheObserver, HostileUpstreamStopsObservingButPassesBytes) {
    std::string overlong(2 * 1024 * 1024, 'x');
    Outcome r = run({client("a1 SELECT INBOX\r\n"), server(kSelectInbox), server("* " + overlong),
                     server("* 1 FETCH (UID 5 FLAGS ())\r\n")});
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.updates,
              (std::vector<std::string>{"state INBOX v7 next12 modseq40", "stale INBOX"}));
}

TEST(ImapCacheObserver, GarbageNeverCrashesOrInventsUpdates) {
    Outcome r = run_every_split({
        client("\r\n* * *\r\nx\r\n a SELECT\r\n"),
        server("* 4294967296 EXISTS\r\n* 0 EXPUNGE\r\n* 0 FETCH (UID 0)\r\n)))\r\n+\r\n"
               "a OK\r\n* VANISHED 5:1\r\n"),
    });
    EXPECT_TRUE(r.updates.empty());
}

}  // namespace
}  // namespace mb::session
