"""How relayed sessions end, against the rig's Dovecot: idle_timeout closes a silent IMAP session
with `* BYE` and the session gauge returns to 0; SIGTERM stops the daemon gracefully, so an SMTP
client in the middle of DATA finishes within the grace period (the upstream's 250, the message in
the sink exactly once) and IMAP clients (in IDLE, or between commands) get `* BYE` when the grace
period ends, and the daemon exits 0."""
import re
import signal
import smtplib
import subprocess
import time
import uuid

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, TIMEOUT, BridgeDaemon, Listener,
                             account_block, assert_tagged, bridge_session, wait_until)

GRACE = 10  # seconds; kShutdownGraceMs in bridge/daemon/daemon.cpp


def active_sessions(daemon, server):
    m = re.search(rf'(?m)^mailbridge_sessions_active\{{server="{server}"\}} (\d+)$', daemon.metrics())
    return int(m.group(1)) if m else None


def test_idle_timeout_says_bye_and_frees_the_session(rig, tmp_path):
    """idle_timeout has a minimum of 60 s, so this test waits about a minute."""
    with BridgeDaemon(tmp_path, [("imaps", rig.dovecot.ports["imaps"], "implicit", rig.pki.ca_cert)],
                      [account_block(rig, "alice", ALICE)], idle_timeout=60) as daemon:
        s = bridge_session(daemon.port["imaps"])
        try:
            _, done = s.command("S1", "SELECT INBOX")
            assert_tagged(done, "S1", "OK")
            silent_since = time.monotonic()
            assert active_sessions(daemon, "imaps") == 1
            s.sock.settimeout(60 + TIMEOUT)
            line = s.read_line()
            waited = time.monotonic() - silent_since
            assert line == b"* BYE mailbridge: idle timeout\r\n", line
            assert 59 <= waited < 60 + TIMEOUT, waited
            assert s.sock.recv(100) == b""  # and the connection is closed
        finally:
            s.close()
        wait_until(lambda: active_sessions(daemon, "imaps") == 0, TIMEOUT, "the session gauge at 0")
        daemon.assert_alive("an idle timeout")


def test_sigterm_lets_sessions_finish_then_says_goodbye(rig, tmp_path):
    d = rig.dovecot
    daemon = BridgeDaemon(tmp_path, [Listener("imaps", d.ports["imaps"], "implicit", rig.pki.ca_cert),
                                     Listener("smtp", d.ports["submissions"], "implicit",
                                              rig.pki.ca_cert, protocol="smtp")],
                          [account_block(rig, "alice", ALICE)]).start()
    idling = between = None
    try:
        idling = bridge_session(daemon.port["imaps"])
        _, done = idling.command("S1", "SELECT INBOX")
        assert_tagged(done, "S1", "OK")
        idling.send("I1 IDLE\r\n")
        assert idling.read_line().startswith(b"+ "), "no IDLE continuation"
        between = bridge_session(daemon.port["imaps"])

        mark = f"mb-{uuid.uuid4().hex[:12]}"
        raw = (f"From: <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: {mark}\r\nMessage-ID: <{mark}@test>\r\n"
               f"\r\nfirst half, sent before SIGTERM\r\n").encode()
        smtp = smtplib.SMTP("127.0.0.1", daemon.port["smtp"], timeout=TIMEOUT)
        smtp.login(ALICE, LOCAL_PASSWORD)
        assert smtp.mail(ALICE)[0] == 250 and smtp.rcpt(BOB)[0] == 250
        assert smtp.docmd("DATA")[0] == 354
        smtp.send(raw)

        daemon.process.signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        wait_until(lambda: "SIGTERM: stopping" in daemon.log(), TIMEOUT, "the daemon to notice SIGTERM")

        # Within the grace period sessions go on: the SMTP client finishes its message.
        rest = b"second half, sent after SIGTERM\r\n"
        smtp.send(rest + b".\r\n")
        code, text = smtp.getreply()
        assert code == 250, (code, text)
        assert smtp.quit()[0] == 221
        _, done = between.command("N1", "NOOP")
        assert_tagged(done, "N1", "OK")
        assert time.monotonic() - stopped_at < GRACE

        # At the end of the grace period the IMAP clients are told goodbye.
        for s in (idling, between):
            s.sock.settimeout(GRACE + TIMEOUT)
            line = s.read_line()
            while line == b"* OK Still here\r\n":  # Dovecot's IDLE keepalive, relayed as it is
                line = s.read_line()
            assert line == b"* BYE mailbridge: the bridge is shutting down\r\n", line
        waited = time.monotonic() - stopped_at
        assert GRACE - 1 <= waited < GRACE + TIMEOUT, waited
        try:
            status = daemon.process.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"mailbridge still runs {TIMEOUT}s after the goodbyes")
        assert status == 0, daemon.log()[-2000:]

        def copies():
            return [m for m in rig.sink.messages() if f"<{mark}@test>".encode() in m["data"]]
        wait_until(lambda: copies(), TIMEOUT, "the message in the sink")
        assert len(copies()) == 1
        assert copies()[0]["data"].endswith(raw + rest)
    finally:
        for s in (idling, between):
            if s:
                s.close()
        daemon.stop()
