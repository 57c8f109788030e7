"""The metadata cache against the real rig: what a bridged client sees is cached byte-exact (compared
with what Dovecot reports directly), changes made by another client reach the cache when the
bridged client next sees them, a UIDVALIDITY change empties the mailbox's rows, `mailbridge cache`
lists it all, and a SIGKILL during heavy caching leaves a database that opens and checks ok."""
import imaplib
import re
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest

from bridge_fixtures import (ALICE, LOCAL_PASSWORD, TIMEOUT, RawImap, direct_session,
                             rig_bridge, wait_until)
from mailbridge_process import MailbridgeProcess, run_cli

FETCH_ITEMS = "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"


@pytest.fixture(scope="module")
def bridge(rig, tmp_path_factory):
    daemon = rig_bridge(rig, tmp_path_factory.mktemp("cache-bridge"))
    yield daemon
    daemon.stop()


def cache_file(daemon):
    return Path(daemon.process.directory) / "state" / "cache.sqlite"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---- a small reader of FETCH responses (values, and the raw bytes of ENVELOPE) ----------------------
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n")


def _value(buf, i):
    """(value, end) of the IMAP value at buf[i]: list, quoted, literal, NIL (None) or atom bytes."""
    c = buf[i:i + 1]
    if c == b"(":
        out, i = [], i + 1
        while True:
            while buf[i:i + 1] == b" ":
                i += 1
            if buf[i:i + 1] == b")":
                return out, i + 1
            item, i = _value(buf, i)
            out.append(item)
    if c == b'"':
        out, i = bytearray(), i + 1
        while buf[i:i + 1] != b'"':
            if buf[i:i + 1] == b"\\":
                i += 1
            out += buf[i:i + 1]
            i += 1
        return bytes(out), i + 1
    m = _LITERAL.match(buf, i)
    if m:
        start = m.end()
        return buf[start:start + int(m.group(1))], start + int(m.group(1))
    end = i
    depth = 0
    while end < len(buf) and (depth or buf[end:end + 1] not in (b" ", b")", b"\r")):
        depth += buf[end:end + 1] == b"["
        depth -= buf[end:end + 1] == b"]"
        end += 1
    atom = buf[i:end]
    return (None if atom.upper() == b"NIL" else atom), end


def parse_fetches(untagged):
    """{uid: {'flags': [...], 'size': int, 'internaldate': bytes, 'envelope': list,
    'raw_envelope': bytes}} from the untagged bytes of a FETCH."""
    out = {}
    i = 0
    head = re.compile(rb"\* (\d+) FETCH \(")
    while True:
        m = head.search(untagged, i)
        if not m:
            return out
        i = m.end()
        items = {}
        while untagged[i:i + 1] != b")":
            if untagged[i:i + 1] == b" ":
                i += 1
                continue
            name, i = _value(untagged, i)
            i += 1  # the space
            start = i
            value, i = _value(untagged, i)
            items[name.upper()] = value
            if name.upper() == b"ENVELOPE":
                items[b"RAW_ENVELOPE"] = untagged[start:i]
        uid = int(items[b"UID"])
        out[uid] = {"flags": [f.decode() for f in items.get(b"FLAGS", [])],
                    "size": int(items[b"RFC822.SIZE"]) if b"RFC822.SIZE" in items else None,
                    "internaldate": items.get(b"INTERNALDATE"),
                    "envelope": items.get(b"ENVELOPE"),
                    "raw_envelope": items.get(b"RAW_ENVELOPE")}


def direct_fetch(rig, mailbox):
    s = direct_session(rig)
    try:
        _, done = s.command("D1", f'EXAMINE "{mailbox}"')
        assert b"D1 OK" in done, done
        untagged, done = s.command("D2", f"UID FETCH 1:* {FETCH_ITEMS}")
        assert b"D2 OK" in done, done
        return parse_fetches(untagged)
    finally:
        s.close()


# ---- what the cache holds ------------------------------------------------------------------------
def cached_rows(daemon, mailbox, login=ALICE, account="alice"):
    """{uid: row} for the mailbox, read with python's sqlite3 beside the running daemon."""
    db = sqlite3.connect(f"file:{cache_file(daemon)}?mode=ro", uri=True, timeout=10)
    try:
        rows = db.execute(
            """SELECT m.uid, m.uidvalidity, m.flags, m.rfc822_size, m.internaldate, m.subject,
                      m.from_addr, m.message_id, m.envelope, b.uidvalidity, b.stale
               FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
               JOIN logins l ON l.id = b.login_id
               WHERE l.account = ? AND l.login = ? AND b.name = ?""",
            (account, login, mailbox.encode())).fetchall()
    finally:
        db.close()
    keys = ("uid", "uidvalidity", "flags", "size", "internaldate", "subject", "from", "message_id",
            "envelope", "mailbox_uidvalidity", "stale")
    return {row[0]: dict(zip(keys, row)) for row in rows}


def mailbox_row(daemon, mailbox, login=ALICE):
    db = sqlite3.connect(f"file:{cache_file(daemon)}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(
            """SELECT b.uidvalidity, b.uidnext, b.stale FROM mailboxes b
               JOIN logins l ON l.id = b.login_id WHERE l.login = ? AND b.name = ?""",
            (login, mailbox.encode())).fetchone()
    finally:
        db.close()


def wait_rows(daemon, mailbox, predicate, what):
    last = {}

    def check():
        nonlocal last
        last = cached_rows(daemon, mailbox)
        return predicate(last)
    try:
        wait_until(check, 10, what)
    except AssertionError:
        raise AssertionError(f"{what}; the cache holds {sorted(last)}")
    return last


def as_bytes(value):
    return value if value is None or isinstance(value, bytes) else bytes(value)


def assert_cache_equals_direct(rows, direct):
    assert sorted(rows) == sorted(direct)
    for uid, d in direct.items():
        row = rows[uid]
        assert row["flags"].split() == d["flags"], uid
        assert row["size"] == d["size"], uid
        assert row["internaldate"].encode() == d["internaldate"], uid
        envelope = d["envelope"]
        assert as_bytes(row["envelope"]) == d["raw_envelope"], uid
        assert as_bytes(row["subject"]) == envelope[1], uid
        assert as_bytes(row["message_id"]) == envelope[9], uid
        sender = envelope[2][0]
        assert f"{sender[2].decode()}@{sender[3].decode()}".encode() in as_bytes(row["from"]), uid


def bridged_imaplib(daemon):
    im = imaplib.IMAP4("127.0.0.1", daemon.port["imaps"], timeout=TIMEOUT)
    typ, data = im.login(ALICE, LOCAL_PASSWORD)
    assert typ == "OK", data
    return im


def bridged_raw(daemon):
    s = RawImap.connect(daemon.port["imaps"])
    assert s.greeting().startswith(b"* OK")
    _, done = s.login()
    assert done.startswith(b"L1 OK"), done
    return s


def make_folder(rig, name, count):
    """Creates `name` for alice directly at Dovecot with `count` messages; returns its UIDVALIDITY."""
    s = direct_session(rig)
    try:
        _, done = s.command("C1", f'CREATE "{name}"')
        assert b"C1 OK" in done, done
        for i in range(count):
            body = (f"From: Sender {i} <sender{i}@example.net>\r\nTo: {ALICE}\r\n"
                    f"Subject: cache test {i} \x1b[31mred\r\nMessage-ID: <{name}-{i}@example.net>"
                    f"\r\n\r\nbody {i}\r\n").encode()
            s.send(f'C2 APPEND "{name}" {{{len(body)}}}\r\n')
            assert s.read_line().startswith(b"+")
            s.send(body + b"\r\n")
            _, done = s.read_until_tagged("C2")
            assert b"C2 OK" in done, done
        untagged, _ = s.command("C3", f'STATUS "{name}" (UIDVALIDITY)')
        return int(re.search(rb"UIDVALIDITY (\d+)", untagged).group(1))
    finally:
        s.close()


# ---- tests ---------------------------------------------------------------------------------------
def test_cache_equals_what_dovecot_reports_for_every_message(rig, bridge):
    im = bridged_imaplib(bridge)
    try:
        typ, _ = im.select("INBOX")
        assert typ == "OK"
        typ, data = im.uid("FETCH", "1:*", FETCH_ITEMS)
        assert typ == "OK", data
    finally:
        im.logout()
    direct = direct_fetch(rig, "INBOX")
    assert len(direct) >= len(rig.seeded)
    rows = wait_rows(bridge, "INBOX", lambda r: len(r) == len(direct), "every INBOX message cached")
    assert_cache_equals_direct(rows, direct)
    uidvalidity, uidnext, stale = mailbox_row(bridge, "INBOX")
    assert uidvalidity and uidnext > max(direct) and stale == 0

    listed = run_cli("cache", "alice", "INBOX", "--config", bridge.process.config_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert f"{len(direct)} message(s)" in lines[0]
    header = lines[1]
    assert header.split() == ["UID", "FLAGS", "SIZE", "INTERNALDATE", "FROM", "SUBJECT"]
    subject_column = header.index("SUBJECT")
    by_uid = {int(line.split()[0]): line for line in lines[2:]}
    assert sorted(by_uid) == sorted(direct)
    for uid, d in direct.items():
        line = by_uid[uid]
        assert f" {d['size']} " in line
        assert d["internaldate"].decode() in line
        subject = d["envelope"][1]
        if subject and all(0x20 <= b < 0x7f and b != 0x5c for b in subject):
            assert line[subject_column:] == subject.decode(), line

    summary = run_cli("cache", "alice", "--config", bridge.process.config_path)
    assert summary.returncode == 0, summary.stderr
    inbox = [line.split() for line in summary.stdout.splitlines() if line.split()[:1] == ["INBOX"]]
    assert inbox == [["INBOX", str(len(direct)), str(uidvalidity), str(uidnext), "no"]]


def test_hostile_subject_is_escaped_by_the_cli(rig, bridge):
    folder = unique("Hostile")
    make_folder(rig, folder, 1)
    s = bridged_raw(bridge)
    try:
        s.command("H1", f'SELECT "{folder}"')
        s.command("H2", f"UID FETCH 1:* {FETCH_ITEMS}")
    finally:
        s.close()
    wait_rows(bridge, folder, lambda r: len(r) == 1, "the hostile message cached")
    listed = run_cli("cache", "alice", folder, "--config", bridge.process.config_path)
    assert listed.returncode == 0, listed.stderr
    assert "\x1b" not in listed.stdout
    assert "cache test 0 \\x1B[31mred" in listed.stdout


def test_changes_by_another_client_reach_the_cache(rig, bridge):
    folder = unique("Changes")
    make_folder(rig, folder, 6)
    s = bridged_raw(bridge)
    other = direct_session(rig)
    try:
        _, done = s.command("B1", f'SELECT "{folder}"')
        assert b"B1 OK" in done, done
        s.command("B2", "UID FETCH 1:* (UID FLAGS)")
        wait_rows(bridge, folder, lambda r: sorted(r) == [1, 2, 3, 4, 5, 6], "six messages cached")

        other.command("O1", f'SELECT "{folder}"')
        other.command("O2", "UID STORE 2 +FLAGS (\\Flagged)")
        other.command("O3", "UID STORE 4 +FLAGS (\\Deleted)")
        _, done = other.command("O4", "EXPUNGE")
        assert b"O4 OK" in done, done
        untagged, _ = s.command("B3", "NOOP")
        assert b"* 4 EXPUNGE" in untagged, untagged  # seen by sequence number only
        rows = wait_rows(bridge, folder,
                         lambda r: 4 not in r and "\\Flagged" in (r.get(2) or {}).get("flags", ""),
                         "the flag change and the expunge cached")
        assert sorted(rows) == [1, 2, 3, 5, 6]

        # After the shift, sequence 4 is UID 5: a flag change reported by sequence lands there.
        other.command("O5", "UID STORE 5 +FLAGS (\\Answered)")
        untagged, _ = s.command("B4", "NOOP")
        assert re.search(rb"\* 4 FETCH", untagged), untagged
        rows = wait_rows(bridge, folder, lambda r: "\\Answered" in r[5]["flags"],
                         "the flag change of UID 5 cached")
        assert "\\Answered" not in rows[6]["flags"] and "\\Answered" not in rows[3]["flags"]
        direct = direct_fetch(rig, folder)
        assert {uid: d["flags"] for uid, d in direct.items()} == {
            uid: r["flags"].split() for uid, r in rows.items()}

        # Back to what was cached first, seen only by a re-fetch: the cache must follow (it
        # leaves out upserts that change nothing, never ones that change a row back).
        other.command("O6", "UID STORE 2 -FLAGS.SILENT (\\Flagged)")
        s.command("B5", "UID FETCH 1:* (UID FLAGS)")
        rows = wait_rows(bridge, folder, lambda r: "\\Flagged" not in r[2]["flags"],
                         "the flag of UID 2 removed again")
        direct = direct_fetch(rig, folder)
        assert {uid: d["flags"] for uid, d in direct.items()} == {
            uid: r["flags"].split() for uid, r in rows.items()}
    finally:
        s.close()
        other.close()


def test_uidvalidity_change_empties_the_mailbox(rig, bridge):
    folder = unique("Recreated")
    first = make_folder(rig, folder, 3)
    s = bridged_raw(bridge)
    try:
        s.command("V1", f'SELECT "{folder}"')
        s.command("V2", "UID FETCH 1:* (UID FLAGS)")
        wait_rows(bridge, folder, lambda r: len(r) == 3, "three messages cached")
        s.command("V3", "SELECT INBOX")

        other = direct_session(rig)
        try:
            _, done = other.command("O1", f'DELETE "{folder}"')
            assert b"O1 OK" in done, done
        finally:
            other.close()
        # Dovecot derives UIDVALIDITY from the clock: recreated within the same second, the
        # mailbox could get the same one.
        wait_until(lambda: time.time() >= first + 1, 10, "the clock past the first UIDVALIDITY")
        second = make_folder(rig, folder, 1)
        assert second != first

        _, done = s.command("V4", f'SELECT "{folder}"')
        assert b"V4 OK" in done, done
        wait_until(lambda: (mailbox_row(bridge, folder) or (None,))[0] == second, 10,
                 "the new UIDVALIDITY cached")
        assert cached_rows(bridge, folder) == {}
        s.command("V5", "UID FETCH 1:* (UID FLAGS)")
        rows = wait_rows(bridge, folder, lambda r: len(r) == 1, "the new message cached")
        assert all(r["uidvalidity"] == second for r in rows.values())
    finally:
        s.close()


def test_rename_and_delete_through_the_bridge(rig, bridge):
    folder = unique("Renamed")
    make_folder(rig, folder, 2)
    s = bridged_raw(bridge)
    try:
        s.command("R1", f'SELECT "{folder}"')
        s.command("R2", "UID FETCH 1:* (UID FLAGS)")
        wait_rows(bridge, folder, lambda r: len(r) == 2, "two messages cached")
        s.command("R3", "SELECT INBOX")
        _, done = s.command("R4", f'RENAME "{folder}" "{folder}-new"')
        assert b"R4 OK" in done, done
        wait_rows(bridge, f"{folder}-new", lambda r: len(r) == 2, "rows moved with the rename")
        assert mailbox_row(bridge, folder) is None
        _, done = s.command("R5", f'DELETE "{folder}-new"')
        assert b"R5 OK" in done, done
        wait_until(lambda: mailbox_row(bridge, f"{folder}-new") is None, 10, "mailbox dropped")
    finally:
        s.close()


def test_metrics_report_the_cached_rows(rig, bridge):
    im = bridged_imaplib(bridge)
    try:
        im.select("INBOX")
        im.uid("FETCH", "1:*", "(UID FLAGS)")
        im.uid("FETCH", "1:*", "(UID FLAGS)")  # the cache holds all of it: nothing to write
    finally:
        im.logout()
    pattern = re.compile(r'^mailbridge_cache_rows\{account="alice"\} (\d+)', re.M)

    def counted():
        found = pattern.search(bridge.metrics())
        return found and int(found.group(1)) >= len(rig.seeded)
    wait_until(counted, 25, "mailbridge_cache_rows for alice (counted every 10 s)")
    metrics = bridge.metrics()
    applied = re.search(r'^mailbridge_cache_updates\{result="applied"\} (\d+)', metrics, re.M)
    assert applied and int(applied.group(1)) >= len(rig.seeded)
    unchanged = re.search(r'^mailbridge_cache_updates\{result="unchanged"\} (\d+)', metrics, re.M)
    assert unchanged and int(unchanged.group(1)) >= len(rig.seeded), metrics
    for stat in ("last", "average"):
        latency = re.search(r'^mailbridge_cache_write_seconds\{account="alice",stat="%s"\} '
                            r'([0-9.e+-]+)' % stat, metrics, re.M)
        assert latency and float(latency.group(1)) > 0, metrics
    batch = re.search(r'^mailbridge_cache_batch_seconds\{stat="average"\} ([0-9.e+-]+)', metrics,
                      re.M)
    assert batch and float(batch.group(1)) > 0
    assert re.search(r'^mailbridge_cache_queued_updates \d+', metrics, re.M)


def test_cli_unknown_account_and_missing_database(rig, bridge, tmp_path):
    unknown = run_cli("cache", "nobody", "--config", bridge.process.config_path)
    assert unknown.returncode == 2
    assert "nobody" in unknown.stderr
    config = tmp_path / "mailbridge.toml"
    config.write_text(bridge.process.config_path.read_text())
    missing = run_cli("cache", "alice", "--config", config)
    assert missing.returncode == 1
    assert "no metadata cache yet" in missing.stderr


def handled_updates(daemon):
    """Cache updates the writer applied or found unchanged so far (mailbridge_cache_updates)."""
    return sum(daemon.metric("mailbridge_cache_updates", result=result) or 0
               for result in ("applied", "unchanged"))


def test_sigkill_during_heavy_caching_leaves_a_sound_database(rig, tmp_path):
    daemon = rig_bridge(rig, tmp_path / "killed")
    stop = threading.Event()
    errors = []

    def churn():
        try:
            im = bridged_imaplib(daemon)
            while not stop.is_set():
                im.select("INBOX")
                im.uid("FETCH", "1:*", FETCH_ITEMS)
        except (OSError, imaplib.IMAP4.abort, EOFError):
            pass
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: cache_file(daemon).exists() and cached_rows(daemon, "INBOX"), 10,
                   "caching under way")
        # The writer keeps committing: a few hundred more updates handled since, then the kill.
        handled = handled_updates(daemon)
        wait_until(lambda: handled_updates(daemon) >= handled + 300, 20,
                   "300 more cache updates handled by the writer")
        daemon.process.kill()  # SIGKILL, mid-write
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=TIMEOUT)
    assert not errors, errors
    restarted = MailbridgeProcess(daemon.process.directory, daemon.config_text)
    restarted.start(health_url=f"http://127.0.0.1:{daemon.health_port}/healthz")
    try:
        assert restarted.log().count(f"metadata cache: {cache_file(daemon)}") == 2
        assert "unusable" not in restarted.log()
        db = sqlite3.connect(f"file:{cache_file(daemon)}?mode=ro", uri=True)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            db.close()
        listed = run_cli("cache", "alice", "--config", daemon.process.config_path)
        assert listed.returncode == 0, listed.stderr
    finally:
        assert restarted.stop() == 0
