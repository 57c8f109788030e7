"""The SMTP submission bridge against the real rig (Dovecot submission relaying to the rig's SMTP
sink) with real clients: python smtplib (AUTH PLAIN and LOGIN, with and without initial
response), swaks (pipelined), curl; messages byte-exact in the sink (after the one Received:
header Dovecot submission prepends) with their envelopes; login failures (wrong local password,
token endpoint down, token refused upstream); the upstream's own refusals passed verbatim; the
no-loss rules when the upstream dies mid-DATA; hostile input; local STARTTLS."""
import base64
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import threading
import uuid

import pytest

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, SANITIZED, TIMEOUT, BridgeDaemon,
                             FakeUpstream, Listener, account_block, closed_port, local_tls_lines,
                             plain_ir, rig_bridge, wait_until)
from rig import clients

RECEIVED_PREFIX = b"Received: "


@pytest.fixture(scope="module")
def bridge(rig, tmp_path_factory):
    extra = [account_block(rig, "nobroker", "dave@example.com", cc_email=ALICE,
                           token_endpoint=f"http://127.0.0.1:{closed_port()}/token"),
             account_block(rig, "mismatch", "carol@example.org", cc_email=ALICE)]
    daemon = rig_bridge(rig, tmp_path_factory.mktemp("smtp-bridge"), protocol="smtp",
                        extra_accounts=extra)
    yield daemon
    daemon.stop()


def marker():
    return f"mb-{uuid.uuid4().hex[:12]}"


def message(mark, body=None, sender=ALICE, to=BOB):
    body = body if body is not None else b"Hello through the bridge.\r\n"
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {mark}\r\nMessage-ID: <{mark}@test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + body


def sink_message(sink, mark, timeout=20):
    def arrived():
        return next((m for m in sink.messages() if f"<{mark}@test>".encode() in m["data"]), None)
    return wait_until(arrived, timeout, f"message {mark} in the sink")


def sink_has(sink, mark):
    return any(f"<{mark}@test>".encode() in m["data"] or mark.encode() in m["data"]
               for m in sink.messages())


def assert_delivered_exact(sink, mark, raw, sender=ALICE, rcpts=(BOB,)):
    m = sink_message(sink, mark)
    data = m["data"]
    assert data.startswith(RECEIVED_PREFIX), data[:200]
    assert data.endswith(raw), (len(data), len(raw))
    # Exactly one header line block was added in front: Dovecot's Received: header.
    added = data[: len(data) - len(raw)]
    assert added.count(RECEIVED_PREFIX) == 1, added
    assert m["mail_from"] == sender
    assert sorted(m["rcpt_tos"]) == sorted(rcpts)
    return m


class RawSmtp:
    """Byte-level SMTP client: send bytes, read whole replies."""

    def __init__(self, port, timeout=TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed; unread {self.buf[:200]!r}")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def reply(self):
        """(code, [lines]) of one reply."""
        lines = []
        while True:
            line = self.line()
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), lines

    def closed(self, timeout=10):
        """True when the peer closed (after reading everything it sent)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def greeted(port):
    s = RawSmtp(port)
    code, lines = s.reply()
    assert code == 220 and "ESMTP mailbridge" in lines[0], lines
    return s


def logged_in(port, user=ALICE):
    s = greeted(port)
    s.send("EHLO client.test\r\n")
    assert s.reply()[0] == 250
    s.send(f"AUTH PLAIN {plain_ir(user, LOCAL_PASSWORD)}\r\n")
    code, lines = s.reply()
    assert code == 235, lines
    return s


# ---- real clients ------------------------------------------------------------------------------------
@pytest.mark.parametrize("listener", ["submissions", "submission"])
def test_smtplib_auth_plain_8bit_and_long_lines_arrive_byte_exact(bridge, rig, listener):
    mark = marker()
    body = ("Grüße aus der Brücke — 8-bit ünïcödé.\r\n" + "x" * 990 + "\r\n"
            + ".leading dot line\r\n" + "..two dots\r\n" + "y" * 996 + "\r\nend\r\n").encode()  # 998 octets: RFC 5322 maximum
    raw = message(mark, body)
    with smtplib.SMTP("127.0.0.1", bridge.port[listener], timeout=TIMEOUT) as s:
        code, _ = s.ehlo("client.test")
        assert code == 250
        assert s.has_extn("auth") and set(s.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}
        assert s.has_extn("pipelining") and s.has_extn("8bitmime") and s.has_extn("size")
        assert not s.has_extn("chunking") and not s.has_extn("starttls")
        assert s.login(ALICE, LOCAL_PASSWORD)[0] == 235
        refused = s.sendmail(ALICE, [BOB, ALICE], raw, mail_options=["BODY=8BITMIME"])
        assert refused == {}
    assert_delivered_exact(rig.sink, mark, raw, rcpts=(BOB, ALICE))


def test_upstream_starttls_is_used(bridge, rig):
    since = rig.dovecot.log_size()
    mark = marker()
    with smtplib.SMTP("127.0.0.1", bridge.port["submission"], timeout=TIMEOUT) as s:
        s.login(ALICE, LOCAL_PASSWORD)
        s.sendmail(ALICE, [BOB], message(mark))
    sink_message(rig.sink, mark)
    lines = [l for l in rig.dovecot.login_lines(since) if "submission-login" in l]
    assert lines and all("TLS" in l for l in lines), lines


@pytest.mark.parametrize("initial_response", [True, False])
def test_smtplib_auth_login_with_and_without_initial_response(bridge, rig, initial_response):
    mark = marker()
    raw = message(mark)
    with smtplib.SMTP("127.0.0.1", bridge.port["submissions"], timeout=TIMEOUT) as s:
        s.ehlo("client.test")
        s.user, s.password = BOB, LOCAL_PASSWORD
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=initial_response)
        assert code == 235
        s.sendmail(BOB, [ALICE], raw)
    assert_delivered_exact(rig.sink, mark, raw, sender=BOB, rcpts=(ALICE,))


def test_auth_plain_without_initial_response_and_cancel(bridge):
    with greeted(bridge.port["submissions"]) as s:
        s.send("EHLO c\r\n")
        s.reply()
        s.send("AUTH PLAIN\r\n")
        assert s.reply() == (334, ["334 "])
        s.send("*\r\n")
        assert s.reply()[0] == 501
        s.send("AUTH LOGIN\r\n")
        assert s.reply() == (334, ["334 VXNlcm5hbWU6"])
        s.send("*\r\n")
        assert s.reply()[0] == 501
        s.send("AUTH PLAIN\r\n")
        s.reply()
        s.send(plain_ir(ALICE, LOCAL_PASSWORD) + "\r\n")
        code, lines = s.reply()
        assert code == 235 and lines == ["235 2.7.0 Authentication successful"]
        s.send("QUIT\r\n")
        assert s.reply()[0] == 221


def test_swaks_auth_login_pipelined(bridge, rig, tmp_path):
    if not shutil.which("swaks"):
        pytest.skip("swaks not installed")
    mark = marker()
    raw = message(mark, b"Sent by swaks with PIPELINING.\r\n")
    path = tmp_path / "msg.eml"
    path.write_bytes(raw)
    run = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{bridge.port['submission']}", "--auth", "LOGIN",
         "--auth-user", ALICE, "--auth-password", LOCAL_PASSWORD, "--from", ALICE, "--to", BOB,
         "--data", str(path), "--pipeline", "--timeout", "20"],
        capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "235 2.7.0" in run.stdout
    m = sink_message(rig.sink, mark)
    assert m["mail_from"] == ALICE and m["rcpt_tos"] == [BOB]
    assert raw in m["data"]  # swaks ends the data with one more CRLF of its own


def test_curl_auth_plain(bridge, rig, tmp_path):
    mark = marker()
    raw = message(mark, b"Sent by curl.\r\n")
    path = tmp_path / "msg.eml"
    path.write_bytes(raw)
    run = subprocess.run(
        ["curl", "-sS", f"smtp://127.0.0.1:{bridge.port['submissions']}", "--mail-from", ALICE,
         "--mail-rcpt", BOB, "--upload-file", str(path), "--user", f"{ALICE}:{LOCAL_PASSWORD}",
         "--login-options", "AUTH=PLAIN", "--max-time", "30"],
        capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert_delivered_exact(rig.sink, mark, raw)


def test_ten_megabyte_attachment(bridge, rig):
    mark = marker()
    payload = base64.encodebytes(os.urandom(7_500_000)).replace(b"\n", b"\r\n")
    raw = message(mark, b"See attachment.\r\n" + payload)
    assert len(raw) > 10_000_000
    with smtplib.SMTP("127.0.0.1", bridge.port["submissions"], timeout=120) as s:
        s.login(ALICE, LOCAL_PASSWORD)
        s.sendmail(ALICE, [BOB], raw)
    m = sink_message(rig.sink, mark, timeout=60)
    assert m["data"].endswith(raw)


def test_everything_pipelined_in_one_write(bridge, rig):
    mark = marker()
    raw = message(mark, b"Pipelined.\r\n")
    with greeted(bridge.port["submissions"]) as s:
        s.send("EHLO c\r\nNOOP\r\nMAIL FROM:<x@example.com>\r\nRSET\r\n")
        assert s.reply()[0] == 250
        assert s.reply()[0] == 250
        assert s.reply() == (530, ["530 5.7.0 Authentication required; log in with AUTH PLAIN or "
                                   "AUTH LOGIN"])
        assert s.reply()[0] == 250
        # AUTH and a whole transaction in one write; the body only after the 354.
        s.send(f"AUTH PLAIN {plain_ir(ALICE, LOCAL_PASSWORD)}\r\nMAIL FROM:<{ALICE}>\r\n"
               f"RCPT TO:<{BOB}>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
        assert s.reply()[0] == 235
        assert s.reply()[0] == 250
        assert s.reply()[0] == 250
        assert s.reply()[0] == 250
        assert s.reply()[0] == 354
        s.send(raw + b".\r\nNOOP\r\nQUIT\r\n")
        code, lines = s.reply()
        assert code == 250, lines
        assert s.reply()[0] == 250
        assert s.reply()[0] == 221
    assert_delivered_exact(rig.sink, mark, raw, rcpts=(BOB, ALICE))


def test_ehlo_after_login_is_rewritten(bridge):
    with logged_in(bridge.port["submissions"]) as s:
        s.send("EHLO again.test\r\n")
        code, lines = s.reply()
        assert code == 250
        text = "\n".join(lines).upper()
        assert "AUTH" not in text and "CHUNKING" not in text and "STARTTLS" not in text
        assert "PIPELINING" in text
        s.send("AUTH PLAIN AGEAYg==\r\nBDAT 3 LAST\r\nabcNOOP\r\n")
        assert s.reply()[0] == 503
        assert s.reply()[0] == 502
        assert s.reply()[0] == 250


# ---- upstream refusals pass verbatim --------------------------------------------------------------
def direct_reply_lines(rig, commands):
    """Replies of Dovecot submission itself to `commands` after a token login."""
    token = rig.oauth.cc_token(ALICE)
    s = clients.smtp_connect(rig.dovecot.ports["submissions"], rig.pki.ca_cert, implicit_tls=True)
    code, msg = clients.smtp_xoauth2(s, ALICE, token)
    assert code == 235, msg
    out = []
    for c in commands:
        out.append(s.docmd(c))
    s.close()
    return out


def test_upstream_5xx_to_rcpt_is_relayed_verbatim(bridge, rig):
    bad = "RCPT TO:<no spaces allowed@>"
    want = direct_reply_lines(rig, [f"MAIL FROM:<{ALICE}>", bad])[1]
    assert 500 <= want[0] < 600
    with logged_in(bridge.port["submissions"]) as s:
        s.send(f"MAIL FROM:<{ALICE}>\r\n{bad}\r\n")
        assert s.reply()[0] == 250
        code, lines = s.reply()
    assert code == want[0]
    assert "\n".join(l[4:] for l in lines).encode() == want[1]


def test_upstream_refusing_the_message_is_never_a_250(bridge, rig):
    mark = marker()
    rig.sink.reject_with("554 5.6.0 rejected by rig")
    try:
        with logged_in(bridge.port["submission"]) as s:
            s.send(f"MAIL FROM:<{ALICE}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
            assert [s.reply()[0] for _ in range(3)] == [250, 250, 354]
            s.send(message(mark) + b".\r\n")
            code, lines = s.reply()
            assert code >= 400, lines
    finally:
        rig.sink.reject_with(None)
    assert not sink_has(rig.sink, mark)


# ---- login failures ------------------------------------------------------------------------------------
def test_wrong_local_password_is_535_naming_the_account(bridge):
    with greeted(bridge.port["submissions"]) as s:
        s.send(f"AUTH PLAIN {plain_ir(ALICE, 'wrong')}\r\n")
        code, lines = s.reply()
        assert code == 535 and lines[0].startswith("535 5.7.8 alice:"), lines
        s.send(f"AUTH PLAIN {plain_ir('nobody@example.net', 'x')}\r\n")
        assert s.reply()[0] == 535
        s.send("MAIL FROM:<a@b>\r\n")
        assert s.reply()[0] == 530


def test_token_endpoint_down_is_454_with_the_reason(bridge):
    with greeted(bridge.port["submissions"]) as s:
        s.send(f"AUTH PLAIN {plain_ir('dave@example.com', LOCAL_PASSWORD)}\r\n")
        code, lines = s.reply()
        assert code == 454 and lines[0].startswith("454 4.7.0 nobroker: cannot get an OAuth2 token"), lines


def test_token_refused_upstream_is_535(bridge):
    with greeted(bridge.port["submissions"]) as s:
        s.send(f"AUTH PLAIN {plain_ir('carol@example.org', LOCAL_PASSWORD)}\r\n")
        code, lines = s.reply()
        assert code == 535, lines
        assert lines[0].startswith("535 5.7.8 mismatch: upstream rejected the OAuth2 token"), lines


def test_upstream_without_starttls_is_refused(rig, tmp_path):
    """upstream_tls = "starttls" and the upstream's EHLO has no STARTTLS: no credentials go out."""
    fake = FakeUpstream("smtp-no-starttls").start()
    daemon = BridgeDaemon(tmp_path, [("nostarttls", fake.port, "starttls", rig.pki.ca_cert)],
                          [account_block(rig, "alice", ALICE)], protocol="smtp")
    try:
        daemon.start()
        with greeted(daemon.port["nostarttls"]) as s:
            s.send(f"AUTH PLAIN {plain_ir(ALICE, LOCAL_PASSWORD)}\r\n")
            code, lines = s.reply()
            assert code == 454 and lines[0].startswith("454 4.7.0 alice: "), lines
            assert "does not offer STARTTLS; refusing to send credentials in clear" in lines[0], lines
        assert fake.lines and not [l for l in fake.lines if l.upper().startswith(b"AUTH")], fake.lines
    finally:
        fake.stop()
        daemon.stop()


# ---- the upstream dies during a transaction --------------------------------------------------------
class DyingSubmission:
    """Implicit-TLS fake submission server that accepts any token, takes MAIL/RCPT/DATA, reads
    `cut` body bytes and then drops the connection. Records whether it ever saw the end of data."""

    def __init__(self, cert, key, cut=2000):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.cut = cut
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.saw_end_of_data = False
        self.body_bytes = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def stop(self):
        self.listener.close()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn):
        try:
            conn = self.context.wrap_socket(conn, server_side=True)
            f = conn.makefile("rb")
            conn.sendall(b"220 dying.test ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    conn.sendall(b"250-dying.test\r\n250-PIPELINING\r\n250 AUTH XOAUTH2\r\n")
                elif verb == b"AUTH":
                    conn.sendall(b"334 \r\n" if line.strip().upper() == b"AUTH XOAUTH2" else b"235 ok\r\n")
                    if line.strip().upper() == b"AUTH XOAUTH2":
                        f.readline()
                        conn.sendall(b"235 2.7.0 ok\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    got = f.read(self.cut)
                    self.body_bytes += len(got)
                    self.saw_end_of_data = self.saw_end_of_data or b"\r\n.\r\n" in got
                    conn.close()
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        except (OSError, ssl.SSLError):
            pass


def test_upstream_closing_mid_data_gives_the_client_a_4xx_never_a_250(rig, tmp_path):
    fake = DyingSubmission(rig.pki.server_cert, rig.pki.server_key)
    daemon = BridgeDaemon(tmp_path, [("dying", fake.port, "implicit", rig.pki.ca_cert)],
                          [account_block(rig, "alice", ALICE)], protocol="smtp").start()
    try:
        with logged_in(daemon.port["dying"]) as s:
            s.send(f"MAIL FROM:<{ALICE}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
            assert [s.reply()[0] for _ in range(3)] == [250, 250, 354]
            try:
                first = b"Subject: slow\r\n\r\n" + b"z" * 1000 + b"\r\n"
                sent_before = daemon.metric("mailbridge_bytes_total", server="dying",
                                            direction="client_to_upstream") or 0
                s.send(first)
                # The body arrives in two parts: the bridge relays the first before the rest.
                wait_until(lambda: (daemon.metric("mailbridge_bytes_total", server="dying",
                                                  direction="client_to_upstream") or 0)
                           >= sent_before + len(first), 10, "the first part of the body relayed")
                s.send(b"more body\r\n" * 200)
            except OSError:
                pass
            code, lines = s.reply()
            assert code == 421 and "message not accepted" in lines[0], lines
            assert s.closed()
        assert not fake.saw_end_of_data
        assert daemon.alive()
    finally:
        daemon.stop()
        fake.stop()


def test_dovecot_submission_dying_mid_data_leaves_no_partial_message(bridge, rig):
    """Kill the Dovecot submission process that serves our session while the body streams."""
    mark = marker()
    before = set(_submission_pids())
    with logged_in(bridge.port["submissions"]) as s:
        s.send(f"MAIL FROM:<{ALICE}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
        assert [s.reply()[0] for _ in range(3)] == [250, 250, 354]
        s.send(message(mark, b"first half of the body\r\n" * 100))
        new = [p for p in _submission_pids() if p not in before]
        if len(new) != 1:
            pytest.skip(f"cannot tell which submission process serves the session: {new}")
        since = rig.dovecot.log_size()
        os.kill(new[0], signal.SIGKILL)
        try:
            s.send(b"second half\r\n" * 100 + b".\r\n")
        except OSError:
            pass
        code, lines = s.reply()
        assert 400 <= code < 500, lines
    # Dovecot's master reaped the killed process: whatever it had sent the sink is all it sent.
    rig.dovecot.wait_log(rf"child {new[0]} killed with signal 9", since=since)
    assert not sink_has(rig.sink, mark)
    assert bridge.alive()


def _submission_pids():
    pids = []
    uid = os.getuid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            if os.stat(f"/proc/{entry}").st_uid != uid and uid != 0:
                continue
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"submission") and b"login" not in cmd[0]:
            pids.append(int(entry))
    return pids


# ---- hostile input ---------------------------------------------------------------------------------------
def test_hostile_input_before_login(bridge):
    with greeted(bridge.port["submissions"]) as s:
        s.send(b"X" * 20000 + b"\r\n")
        code, lines = s.reply()
        assert code == 500 and "too long" in lines[0], lines
        s.send(b"NOOP\nNOOP\r\n")
        code, lines = s.reply()
        assert code == 500 and "Bare LF" in lines[0], lines
        assert s.reply()[0] == 250  # the line after the refused one
        s.send(b"NO\0OP\r\n")
        assert s.reply()[0] == 500
        s.send(b"NOOP\r\n" * 10000)
        for _ in range(10000):
            assert s.reply()[0] == 250
        s.send("QUIT\r\n")
        assert s.reply()[0] == 221
    assert bridge.alive()


def test_hostile_input_after_login(bridge, rig):
    rss_before = bridge.rss_kib()
    since = rig.dovecot.log_size()
    with logged_in(bridge.port["submissions"]) as s:
        s.send(b"Y" * 5000 + b"\r\nNO\0OP\r\nNOOP\nRSET\r\n")
        assert s.reply()[0] == 500
        assert s.reply()[0] == 500
        assert s.reply()[0] == 500
        assert s.reply()[0] == 250
        s.send(b"NOOP\r\n" * 10000)
        for _ in range(10000):
            assert s.reply()[0] == 250
        # A body smuggling an end of data behind a bare LF: refused, nothing delivered.
        mark = marker()
        s.send(f"MAIL FROM:<{ALICE}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
        assert [s.reply()[0] for _ in range(3)] == [250, 250, 354]
        s.send(message(mark, b"innocent\r\n\n.\n" + f"MAIL FROM:<{ALICE}>\r\n".encode()) + b".\r\n")
        code, lines = s.reply()
        assert code == 554 and lines[0].startswith("554 5.6.0"), lines
        assert s.reply()[0] == 421
        assert s.closed()
    # The upstream session ended without an end of data: nothing of it can reach the sink later.
    rig.dovecot.wait_log(r"submission\(alice@example\.com\).*Disconnected", since=since)
    assert not sink_has(rig.sink, mark)
    assert bridge.alive()
    with open(f"/proc/{bridge.pid}/maps") as maps:
        sanitized = "libasan" in maps.read()  # ASan's quarantine keeps freed memory resident
    if not sanitized:
        assert SANITIZED or bridge.rss_kib() - rss_before < 64 * 1024


def test_many_sessions_in_parallel(bridge, rig):
    marks = [marker() for _ in range(20)]

    def send(mark):
        with smtplib.SMTP("127.0.0.1", bridge.port["submissions"], timeout=60) as s:
            s.login(BOB, LOCAL_PASSWORD)
            s.sendmail(BOB, [ALICE], message(mark, sender=BOB, to=ALICE))
    threads = [threading.Thread(target=send, args=(m,)) for m in marks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    for m in marks:
        sink_message(rig.sink, m)


# ---- local STARTTLS ----------------------------------------------------------------------------------
def test_local_starttls(rig, tmp_path):
    d = rig.dovecot
    daemon = BridgeDaemon(tmp_path, [Listener("tls", d.ports["submissions"], "implicit", rig.pki.ca_cert,
                                              extra=local_tls_lines(rig.pki, "starttls"))],
                          [account_block(rig, "alice", ALICE)], protocol="smtp")
    daemon.start()
    try:
        mark = marker()
        raw = message(mark)
        with smtplib.SMTP("127.0.0.1", daemon.port["tls"], timeout=TIMEOUT) as s:
            s.ehlo("c")
            assert s.has_extn("starttls")
            s.starttls(context=clients.ssl_context(rig.pki.ca_cert))
            s.ehlo("c")
            assert not s.has_extn("starttls")
            s.login(ALICE, LOCAL_PASSWORD)
            s.sendmail(ALICE, [BOB], raw)
        assert_delivered_exact(rig.sink, mark, raw)
    finally:
        daemon.stop()
