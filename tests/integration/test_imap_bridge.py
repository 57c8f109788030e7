"""The IMAP bridge against the real rig with real clients: python imaplib (the whole command set,
IDLE, AUTHENTICATE PLAIN with and without SASL-IR), curl, mbsync; FETCH output byte-identical to
Dovecot's own; both upstream TLS modes proven by Dovecot's log; many sessions; and one token
request for fifty concurrent logins."""
import imaplib
import re
import shutil
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, TIMEOUT, BridgeDaemon, RawImap,
                             account_block, assert_tagged, bridge_session, direct_session, plain_ir,
                             rig_bridge)
from rig import seeder


@pytest.fixture(scope="module")
def bridge(rig, tmp_path_factory):
    daemon = rig_bridge(rig, tmp_path_factory.mktemp("bridge"))
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def bob_seeded(rig):
    """Bob's INBOX gets a few messages of his own (the mutating tests work on bob, not alice)."""
    return seeder.seed_user(rig.dovecot, BOB, 4, seed=7, kinds=("plain", "multipart"))


def imaplib_login(port, user=ALICE, password=LOCAL_PASSWORD):
    im = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
    typ, data = im.login(user, password)
    assert typ == "OK", data
    return im


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---- imaplib: the whole command set ----------------------------------------------------------------
def test_imaplib_full_session_through_the_bridge(bridge, bob_seeded):
    im = imaplib.IMAP4("127.0.0.1", bridge.port["imaps"], timeout=TIMEOUT)
    assert "AUTH=PLAIN" in im.capabilities and "IMAP4REV1" in im.capabilities
    typ, data = im.login(BOB, LOCAL_PASSWORD)
    assert typ == "OK", data
    archive, trash = unique("Archive"), unique("Trash")
    assert im.create(archive)[0] == "OK"
    assert im.create(trash)[0] == "OK"
    typ, listing = im.list()
    names = b"\n".join(listing)
    assert typ == "OK" and b"INBOX" in names and archive.encode() in names

    typ, data = im.select("INBOX")
    assert typ == "OK"
    before = int(data[0])
    assert before >= len(bob_seeded)

    subject = unique("Appended through the bridge")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "tester@example.net", BOB, subject
    msg.set_content("A body with a literal.\r\nSecond line \u00e4\u00f6\u00fc.\r\n")
    raw = msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    typ, data = im.append("INBOX", r"(\Draft)", None, raw)  # imaplib sends the message as {n} literal
    assert typ == "OK", data
    assert im.noop()[0] == "OK"

    typ, data = im.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
    assert typ == "OK"
    uids = data[0].split()
    assert len(uids) == 1
    uid = uids[0]
    typ, data = im.uid("FETCH", uid, "(BODY.PEEK[] FLAGS)")
    assert typ == "OK"
    assert data[0][1] == raw
    assert rb"\Draft" in data[0][0]

    typ, data = im.uid("STORE", uid, "+FLAGS", r"(\Flagged \Seen)")
    assert typ == "OK" and rb"\Flagged" in data[0] and rb"\Seen" in data[0]
    typ, data = im.uid("SEARCH", None, "FLAGGED", "SUBJECT", f'"{subject}"')
    assert data[0].split() == [uid]

    assert im.uid("COPY", uid, archive)[0] == "OK"
    typ, data = im.uid("MOVE", uid, trash)
    assert typ == "OK", data
    typ, data = im.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
    assert data[0].split() == []

    typ, data = im.select(archive)
    assert (typ, int(data[0])) == ("OK", 1)
    assert im.store("1", "+FLAGS", r"\Deleted")[0] == "OK"
    typ, data = im.expunge()
    assert typ == "OK" and data[0] == b"1"
    assert int(im.select(archive)[1][0]) == 0
    typ, data = im.select(trash, readonly=True)
    assert int(data[0]) == 1
    typ, data = im.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == raw
    assert im.close()[0] == "OK"
    for folder in (archive, trash):
        assert im.delete(folder)[0] == "OK"
    typ, data = im.logout()
    assert typ == "BYE"


def test_idle_receives_exists_pushed_by_another_session(rig, bridge, bob_seeded):
    idler = bridge_session(bridge.port["starttls"], user=BOB)
    other = direct_session(rig, BOB)
    try:
        untagged, done = idler.command("S1", "SELECT INBOX")
        assert done.startswith(b"S1 OK")
        count = int(re.search(rb"\* (\d+) EXISTS", untagged).group(1))
        idler.send("I1 IDLE\r\n")
        assert idler.read_line().startswith(b"+ ")
        message = b"From: pusher@example.net\r\nSubject: pushed\r\n\r\nwake up\r\n"
        other.send(b"P1 APPEND INBOX {%d+}\r\n" % len(message) + message + b"\r\n")
        _, appended = other.read_until_tagged("P1")
        assert appended.startswith(b"P1 OK"), appended
        deadline = time.monotonic() + 15
        while True:
            line = idler.read_response_line()
            if line == b"* %d EXISTS\r\n" % (count + 1):
                break
            assert time.monotonic() < deadline, "no EXISTS pushed during IDLE"
        idler.send("DONE\r\n")
        _, done = idler.read_until_tagged("I1")
        assert done.startswith(b"I1 OK"), done
        untagged, done = idler.command("Z1", "LOGOUT")
        assert untagged.startswith(b"* BYE") and done.startswith(b"Z1 OK")
    finally:
        idler.close()
        other.close()


# ---- AUTHENTICATE PLAIN --------------------------------------------------------------------------------
def test_authenticate_plain_without_initial_response(bridge):
    im = imaplib.IMAP4("127.0.0.1", bridge.port["imaps"], timeout=TIMEOUT)
    typ, data = im.authenticate("PLAIN", lambda _challenge: f"\0{ALICE}\0{LOCAL_PASSWORD}".encode())
    assert typ == "OK", data
    typ, data = im.select("INBOX", readonly=True)
    assert typ == "OK" and int(data[0]) >= 12
    im.logout()


def test_authenticate_plain_without_ir_raw_continuation(bridge):
    with RawImap.connect(bridge.port["imaps"]) as s:
        s.greeting()
        s.send("A1 AUTHENTICATE PLAIN\r\n")
        assert s.read_line().startswith(b"+")
        s.send(plain_ir(ALICE, LOCAL_PASSWORD) + "\r\n")
        _, done = s.read_until_tagged("A1")
        assert_tagged(done, "A1", "OK")
        _, done = s.command("E1", "EXAMINE INBOX")
        assert done.startswith(b"E1 OK")


@pytest.mark.parametrize("authzid", ["", ALICE])
def test_authenticate_plain_with_sasl_ir(bridge, authzid):
    with RawImap.connect(bridge.port["starttls"]) as s:
        assert b"SASL-IR" in s.greeting()
        _, done = s.command("A1", "AUTHENTICATE PLAIN " + plain_ir(ALICE, LOCAL_PASSWORD, authzid))
        text = assert_tagged(done, "A1", "OK")
        assert "STARTTLS" not in text and "LOGINDISABLED" not in text, text
        untagged, done = s.command("C1", "CAPABILITY")
        assert done.startswith(b"C1 OK") and b"IMAP4rev1" in untagged
        _, done = s.command("E1", "EXAMINE INBOX")
        assert done.startswith(b"E1 OK")


def test_authenticate_plain_cancelled_and_wrong_then_ok(bridge):
    with RawImap.connect(bridge.port["imaps"]) as s:
        s.greeting()
        s.send("A1 AUTHENTICATE PLAIN\r\n")
        assert s.read_line().startswith(b"+")
        s.send("*\r\n")
        _, done = s.read_until_tagged("A1")
        assert_tagged(done, "A1", "BAD", "cancel")
        _, done = s.command("A2", "AUTHENTICATE PLAIN " + plain_ir(ALICE, "wrong"))
        assert_tagged(done, "A2", "NO", r"\[AUTHENTICATIONFAILED\]")
        _, done = s.command("A3", "AUTHENTICATE PLAIN " + plain_ir(ALICE, LOCAL_PASSWORD))
        assert_tagged(done, "A3", "OK")


def test_login_with_literals(bridge):
    with RawImap.connect(bridge.port["imaps"]) as s:
        s.greeting()
        s.send(b"L1 LOGIN {%d}\r\n" % len(ALICE))
        assert s.read_line().startswith(b"+")
        s.send(ALICE.encode() + b" {%d+}\r\n" % len(LOCAL_PASSWORD) + LOCAL_PASSWORD.encode() + b"\r\n")
        _, done = s.read_until_tagged("L1")
        assert_tagged(done, "L1", "OK")


# ---- curl ----------------------------------------------------------------------------------------------
def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "30", "-u", f"{ALICE}:{LOCAL_PASSWORD}", *args],
                          capture_output=True, timeout=60)


def test_curl_lists_and_fetches_by_uid(rig, bridge):
    port = bridge.port["imaps"]
    listing = curl(f"imap://127.0.0.1:{port}/")
    assert listing.returncode == 0, listing.stderr
    assert b"INBOX" in listing.stdout
    search = curl(f"imap://127.0.0.1:{port}/INBOX?SUBJECT%20%22Plain%20message%200%22")
    assert search.returncode == 0, search.stderr
    uid = int(re.search(rb"\* SEARCH (\d+)", search.stdout).group(1))
    fetched = curl(f"imap://127.0.0.1:{port}/INBOX;UID={uid}")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout == rig.seeded[0].imap_bytes()
    wrong = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", f"{ALICE}:nope",
                            f"imap://127.0.0.1:{port}/"], capture_output=True, timeout=60)
    assert wrong.returncode == 67, wrong  # CURLE_LOGIN_DENIED


# ---- mbsync --------------------------------------------------------------------------------------------
def test_mbsync_pulls_the_seeded_inbox(rig, bridge, tmp_path):
    if not shutil.which("mbsync"):
        pytest.skip("mbsync (isync) is not installed")
    maildir = tmp_path / "mail"
    maildir.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(f"""IMAPAccount bridge
Host 127.0.0.1
Port {bridge.port["imaps"]}
User {ALICE}
Pass {LOCAL_PASSWORD}
SSLType None
AuthMechs LOGIN
Timeout 30

IMAPStore remote
Account bridge

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX

Channel inbox
Far :remote:INBOX
Near :local:INBOX
Create Near
Sync Pull
Expunge None
SyncState *
""")
    result = subprocess.run(["mbsync", "-c", str(rc), "inbox"], capture_output=True, timeout=120,
                            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    files = sorted(p for sub in ("cur", "new") for p in (maildir / "INBOX" / sub).iterdir())
    by_id = {}
    for path in files:
        data = re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", path.read_bytes(), count=1)  # mbsync's own
        m = re.search(rb"^Message-ID: <(seed-\d+@rig\.test)>", data, re.M)
        if m:
            by_id[m.group(1).decode()] = data
    assert len(by_id) == len(rig.seeded), sorted(by_id)
    for message in rig.seeded:
        # mbsync stores Maildir files with LF line ends (it drops every CR, bare ones too);
        # everything else must be the served bytes (the byte-exact relay is proven below)
        expected = message.imap_bytes().replace(b"\r", b"")
        assert by_id[f"seed-{message.index}@rig.test"] == expected, message.kind


# ---- byte-exact relay ----------------------------------------------------------------------------------
def fetch_all(session):
    _, done = session.command("E1", "EXAMINE INBOX")
    assert done.startswith(b"E1 OK"), done
    untagged, done = session.command("F1", "UID FETCH 1:* (BODY.PEEK[] FLAGS ENVELOPE)")
    assert done.startswith(b"F1 OK"), done
    return untagged


@pytest.mark.parametrize("listener", ["imaps", "starttls"])
def test_fetch_is_byte_identical_to_dovecot(rig, bridge, listener):
    warm = direct_session(rig)  # claim \Recent once so both sessions see the same flags
    warm.command("S0", "SELECT INBOX")
    warm.close()
    direct = direct_session(rig)
    through = bridge_session(bridge.port[listener])
    try:
        expected = fetch_all(direct)
        got = fetch_all(through)
    finally:
        direct.close()
        through.close()
    hostile = [m for m in rig.seeded if m.kind == "hostile"]
    assert hostile and all(m.imap_bytes() in expected for m in hostile)
    assert expected.count(b" FETCH (") == len(rig.seeded)
    assert got == expected


# ---- both upstream TLS modes ---------------------------------------------------------------------------
@pytest.mark.parametrize("listener", ["imaps", "starttls"])
def test_each_upstream_mode_logs_in_over_tls(rig, bridge, listener):
    since = rig.dovecot.log_size()
    im = imaplib_login(bridge.port[listener])
    assert im.select("INBOX", readonly=True)[0] == "OK"
    im.logout()
    rig.dovecot.wait_log(r"imap-login: Info: Login: user=<alice@example\.com>", since=since)
    lines = rig.dovecot.login_lines(since)
    assert len(lines) == 1, lines
    assert re.search(r"method=(XOAUTH2|OAUTHBEARER)", lines[0]), lines[0]
    assert re.search(r", TLS[,:]", lines[0]), lines[0]


# ---- which SASL mechanism the bridge chose upstream (Dovecot offers OAUTHBEARER and XOAUTH2) ------------
def dovecot_login_method(rig, port):
    """Log in through the bridge on `port`; the method= of the one login line Dovecot wrote."""
    since = rig.dovecot.log_size()
    im = imaplib_login(port)
    im.logout()
    rig.dovecot.wait_log(r"imap-login: Info: Login: user=<alice@example\.com>", since=since)
    lines = rig.dovecot.login_lines(since)
    assert len(lines) == 1, lines
    return re.search(r"method=([A-Z0-9-]+)", lines[0]).group(1)


def test_sasl_auto_prefers_oauthbearer(rig, bridge):
    assert dovecot_login_method(rig, bridge.port["imaps"]) == "OAUTHBEARER"


def test_sasl_xoauth2_is_honoured_where_oauthbearer_is_offered(rig, tmp_path):
    account = account_block(rig, "alice", ALICE) + 'sasl = "xoauth2"\n'
    with BridgeDaemon(tmp_path, [("imaps", rig.dovecot.ports["imaps"], "implicit", rig.pki.ca_cert)],
                      [account]) as daemon:
        assert dovecot_login_method(rig, daemon.port["imaps"]) == "XOAUTH2"


# ---- many sessions -------------------------------------------------------------------------------------
def test_twenty_concurrent_sessions_fetch(rig, bridge):
    expected = {m.index: m.imap_bytes() for m in rig.seeded}
    start = threading.Barrier(20, timeout=TIMEOUT)

    def session(n):
        listener = "imaps" if n % 2 else "starttls"
        start.wait()
        im = imaplib_login(bridge.port[listener])
        try:
            im.select("INBOX", readonly=True)
            index = n % len(expected)
            typ, data = im.fetch(str(index + 1), "(BODY.PEEK[])")
            assert typ == "OK"
            return data[0][1] == expected[index]
        finally:
            im.logout()
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(session, range(20)))
    assert results == [True] * 20


def test_fifty_concurrent_logins_make_one_token_request(rig, tmp_path):
    daemon = BridgeDaemon(tmp_path / "fresh", [("imaps", rig.dovecot.ports["imaps"], "implicit",
                                                rig.pki.ca_cert)],
                          [account_block(rig, "alice", ALICE)]).start()
    client_id = rig.oauth.clients[f"cc:{ALICE}"]["client_id"]
    try:
        rig.oauth.reset_stats()
        start = threading.Barrier(50, timeout=TIMEOUT)

        def login(_):
            start.wait()
            s = RawImap.connect(daemon.port["imaps"])
            try:
                s.greeting()
                _, done = s.login()
                s.command("Z1", "LOGOUT")
                return done.split(b" ")[1]
            finally:
                s.close()
        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(login, range(50)))
        assert results == [b"OK"] * 50
        assert rig.oauth.token_requests(client_id=client_id) == 1
        assert 'mailbridge_logins_total{server="imaps",result="ok"} 50' in daemon.metrics()
    finally:
        daemon.stop()
