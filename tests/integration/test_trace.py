"""Protocol trace (log_level = 5) of relayed sessions, and escaping of client-controlled text.

A bridge at log level 5 in front of the rig's Dovecot (IMAPS, POP3S, SMTPS): after login every
relayed line is traced as `<server> <peer> C: …` / `S: …`, literal and message bodies only as
`{N bytes}`, credentials masked; the local password and anything of the upstream SASL exchange
never appear. A login name full of terminal escapes and a forged journal line reaches the log,
/readyz and `mailbridge status` only escaped."""
import base64
import poplib
import re
import smtplib
import uuid

import pytest

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, TIMEOUT, BridgeDaemon, Listener, RawImap,
                             account_block, wait_until)
from mailbridge_process import http_get, run_cli

EVIL_DOMAIN = "evil.example"


@pytest.fixture(scope="module")
def bridge(rig, tmp_path_factory):
    d = rig.dovecot
    ca = rig.pki.ca_cert
    daemon = BridgeDaemon(
        tmp_path_factory.mktemp("trace-bridge"),
        [Listener("imaps", d.ports["imaps"], "implicit", ca),
         Listener("pop3s", d.ports["pop3s"], "implicit", ca, protocol="pop3"),
         Listener("smtps", d.ports["submissions"], "implicit", ca, protocol="smtp")],
        [account_block(rig, "alice", ALICE), account_block(rig, "bob", BOB),
         account_block(rig, "wild", f"*@{EVIL_DOMAIN}", cc_email=ALICE)],
        log_level=5)
    daemon.start()
    yield daemon
    daemon.stop()


def log_bytes(bridge):
    return bridge.process.log_path.read_bytes()


def traced(bridge, server, direction):
    """The texts of the trace lines of `server` in `direction` ("C" or "S"), in order."""
    pattern = re.compile(rf"{server} 127\.0\.0\.1:\d+ {direction}: (.*)$")
    return [m.group(1) for line in bridge.log().splitlines() if (m := pattern.search(line))]


def assert_no_secret(bridge):
    text = log_bytes(bridge)
    assert LOCAL_PASSWORD.encode() not in text
    assert b"Bearer" not in text
    # The upstream SASL initial responses (XOAUTH2, OAUTHBEARER) in base64, by their fixed start.
    for start in (f"user={ALICE}\x01auth=Bearer ", f"n,a={ALICE},"):
        aligned = start[: len(start) // 3 * 3].encode()
        assert base64.b64encode(aligned) not in text


def imap_login(port, user=ALICE, password=LOCAL_PASSWORD):
    s = RawImap.connect(port)
    assert s.greeting().startswith(b"* OK")
    _, done = s.login(user, password)
    assert done.startswith(b"L1 OK"), done
    return s


def append_marked_message(s, tag="A1"):
    """APPENDs a message whose body holds a unique marker (a literal); returns (marker, uid)."""
    mark = f"body-secret-{uuid.uuid4().hex}"
    message = (f"From: <{ALICE}>\r\nSubject: trace\r\n\r\n{mark}\r\n").encode()
    s.send(f"{tag} APPEND INBOX {{{len(message)}}}\r\n")
    assert s.read_line().startswith(b"+")
    s.send(message + b"\r\n")
    _, done = s.read_until_tagged(tag)
    assert done.startswith(f"{tag} OK".encode()), done
    return mark, len(message), int(re.search(rb"APPENDUID \d+ (\d+)", done).group(1))


def expunge(s, uid):
    """Removes a message this module appended: the rig's mailboxes are shared with other tests."""
    s.command("D1", "SELECT INBOX")
    s.command("D2", f"UID STORE {uid} +FLAGS.SILENT (\\Deleted)")
    _, done = s.command("D3", f"UID EXPUNGE {uid}")
    assert done.startswith(b"D3 OK"), done


def test_imap_relay_is_traced_with_sizes_for_literals_and_no_secret(bridge):
    with imap_login(bridge.port["imaps"]) as s:
        mark, size, uid = append_marked_message(s)
        _, done = s.command("S1", "SELECT INBOX")
        assert done.startswith(b"S1 OK"), done
        untagged, done = s.command("F1", f"UID FETCH {uid} BODY.PEEK[]")
        assert done.startswith(b"F1 OK") and mark.encode() in untagged, done
        expunge(s, uid)
        s.send("Z1 LOGOUT\r\n")
        s.read_until_tagged("Z1")
    wait_until(lambda: "C: Z1 LOGOUT" in bridge.log() and
             any(t.startswith("Z1 OK") for t in traced(bridge, "imaps", "S")), TIMEOUT,
             "the LOGOUT in the trace")
    client, server = traced(bridge, "imaps", "C"), traced(bridge, "imaps", "S")
    assert any(t.startswith("L1 OK") for t in server)  # the login's answer, re-tagged
    assert f"A1 APPEND INBOX {{{size}}}" in client
    assert f"{{{size} bytes}}" in client  # the APPENDed literal, as its size
    assert "S1 SELECT INBOX" in client and f"F1 UID FETCH {uid} BODY.PEEK[]" in client
    assert any(t.startswith("S1 OK") for t in server)
    fetch = [i for i, t in enumerate(server) if re.match(rf"\* \d+ FETCH .*UID {uid}.*\{{{size}\}}$", t)]
    assert fetch and server[fetch[0] + 1] == f"{{{size} bytes}}", server
    assert any(t.startswith("* BYE") for t in server)
    assert mark.encode() not in log_bytes(bridge)
    assert_no_secret(bridge)


def test_imap_login_after_login_is_masked(bridge):
    password = f"pw-{uuid.uuid4().hex}"
    with imap_login(bridge.port["imaps"]) as s:
        _, done = s.command("X1", f"LOGIN someone {password}")
        assert done.startswith((b"X1 BAD", b"X1 NO")), done
        # The same with the password as a literal: the trace shows only its size.
        s.send("X2 LOGIN someone {%d}\r\n" % len(password))
        answer = s.read_line()
        if answer.startswith(b"+"):
            s.send(password + "\r\n")
            _, answer = s.read_until_tagged("X2")
        assert answer.startswith((b"X2 BAD", b"X2 NO")), answer
        s.command("Z1", "LOGOUT")
    wait_until(lambda: any(t.startswith("X2 ") for t in traced(bridge, "imaps", "S")), TIMEOUT,
             "the second LOGIN's answer in the trace")
    client = traced(bridge, "imaps", "C")
    assert "X1 LOGIN someone ***" in client, client
    assert "X2 LOGIN someone ***" in client, client
    assert password.encode() not in log_bytes(bridge)
    assert_no_secret(bridge)


def test_pop3_retr_is_traced_as_a_size(bridge):
    with imap_login(bridge.port["imaps"]) as s:
        mark, _, uid = append_marked_message(s)
        s.command("Z1", "LOGOUT")
    p = poplib.POP3("127.0.0.1", bridge.port["pop3s"], timeout=TIMEOUT)
    try:
        p.user(ALICE)
        p.pass_(LOCAL_PASSWORD)
        count, _ = p.stat()
        _, lines, _ = p.retr(count)
        assert mark.encode() in b"\r\n".join(lines)
        p.quit()
    finally:
        p.close()
        with imap_login(bridge.port["imaps"]) as s:
            expunge(s, uid)
    wait_until(lambda: "C: QUIT" in bridge.log(), TIMEOUT, "the QUIT in the trace")
    client, server = traced(bridge, "pop3s", "C"), traced(bridge, "pop3s", "S")
    assert "STAT" in client and f"RETR {count}" in client, client
    retr = [i for i, t in enumerate(server) if re.match(r"\+OK \d+ octets", t)]
    assert retr and re.fullmatch(r"\{\d+ bytes\}", server[retr[-1] + 1]), server
    assert mark.encode() not in log_bytes(bridge)
    assert_no_secret(bridge)


def test_smtp_data_is_traced_as_a_size(bridge):
    mark = f"smtp-body-{uuid.uuid4().hex}"
    message = f"From: <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: trace\r\n\r\n{mark}\r\n"
    with smtplib.SMTP("127.0.0.1", bridge.port["smtps"], timeout=TIMEOUT) as s:
        s.login(ALICE, LOCAL_PASSWORD)
        s.sendmail(ALICE, [BOB], message)
        code, _ = s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0x\0second-secret").decode())
        assert code >= 500
    wait_until(lambda: "smtps" in bridge.log() and "C: QUIT" in bridge.log(), TIMEOUT,
             "the QUIT in the trace")
    client, server = traced(bridge, "smtps", "C"), traced(bridge, "smtps", "S")
    assert any(t.startswith(f"mail FROM:<{ALICE}>") for t in client) and "data" in client, client
    data = client.index("data")
    assert re.fullmatch(r"\{\d+ bytes\}", client[data + 1]), client
    assert any(t.startswith("354") for t in server) and any(t.startswith("250") for t in server)
    assert "AUTH PLAIN ***" in client, client
    log = log_bytes(bridge)
    assert mark.encode() not in log and b"second-secret" not in log
    assert base64.b64encode(b"\0x\0second-secret") not in log
    assert_no_secret(bridge)


def test_hostile_login_is_escaped_in_log_readyz_and_status(bridge):
    login = f"ev\x1b[31mil\n<3>forged\xc2\x9b@{EVIL_DOMAIN}".encode("latin-1")
    s = RawImap.connect(bridge.port["imaps"])
    with s:
        assert s.greeting().startswith(b"* OK")
        s.send(b"L1 LOGIN {%d}\r\n" % len(login))
        assert s.read_line().startswith(b"+")
        s.send(login + b" wrong-password\r\n")
        _, done = s.read_until_tagged("L1")
        assert done.startswith(b"L1 NO"), done
    wait_until(lambda: "wrong local password" in bridge.log(), TIMEOUT, "the failed login's log line")
    log = log_bytes(bridge)
    assert b"\x1b" not in log and b"\xc2\x9b" not in log
    assert not any(line.startswith(b"<3>forged") for line in log.split(b"\n"))
    assert b"ev\\x1b[31mil\\n<3>forged\\xc2\\x9b@" + EVIL_DOMAIN.encode() in log

    status, readyz = http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")
    assert status == 200 and "\x1b" not in readyz and "\x9b" not in readyz
    assert "ev\\\\x1b[31mil\\\\n<3>forged" in readyz  # escaped, then JSON-escaped

    out = run_cli("status", "--config", bridge.process.config_path)
    assert out.returncode in (0, 1), out.stderr
    assert "\x1b" not in out.stdout and "\x9b" not in out.stdout and "\n<3>" not in out.stdout
    assert "ev\\x1b[31mil\\n<3>forged" in out.stdout, out.stdout
