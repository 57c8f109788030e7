"""POP3 through mailbridge against the real rig: plain local POP3 (USER/PASS, AUTH PLAIN) to
Dovecot over POP3S or POP3+STLS with OAuth2; every multi-line answer byte-identical to a direct
POP3S session; DELE works; clear -ERR answers for every failure; hostile input survived."""
import poplib
import socket
import time

import pytest

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, TIMEOUT, BridgeDaemon, FakeUpstream,
                             account_block, closed_port, rig_bridge)
from rig import clients, seeder


@pytest.fixture
def bridge(rig, tmp_path):
    b = rig_bridge(rig, tmp_path / "bridge", protocol="pop3")
    yield b
    assert b.stop() == 0


def raw_session(sock_or_port):
    """A socket to the bridge after the greeting."""
    s = socket.create_connection(("127.0.0.1", sock_or_port), timeout=TIMEOUT)
    assert s.recv(512).startswith(b"+OK")
    return s


def read_until(sock, terminator):
    data = b""
    while not data.endswith(terminator):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def is_multiline(command):
    words = command.split()
    return words[0] in (b"RETR", b"TOP", b"CAPA") or (words[0] in (b"UIDL", b"LIST") and len(words) == 1)


def multiline(sock, command):
    """Sends a command and returns its whole answer bytes (to the terminating '.' if any)."""
    sock.sendall(command + b"\r\n")
    data = read_until(sock, b"\r\n")
    if not data.startswith(b"+OK") or not is_multiline(command):
        return data
    if not data.endswith(b"\r\n.\r\n"):
        data += read_until(sock, b"\r\n.\r\n")
    return data


def direct_socket(rig, user):
    token = rig.oauth.cc_token(user)
    p = clients.pop3_connect(rig.dovecot.ports["pop3s"], rig.pki.ca_cert)
    clients.pop3_xoauth2(p, user, token)
    return p.sock, p


def bridge_socket(port, user=ALICE):
    s = raw_session(port)
    s.sendall(f"USER {user}\r\n".encode())
    assert read_until(s, b"\r\n").startswith(b"+OK")
    s.sendall(f"PASS {LOCAL_PASSWORD}\r\n".encode())
    answer = read_until(s, b"\r\n")
    assert answer.startswith(b"+OK"), answer
    return s


@pytest.mark.parametrize("listener", ["pop3s", "stls"])
def test_uidl_list_retr_are_byte_identical_to_direct(rig, bridge, listener):
    direct, keep = direct_socket(rig, ALICE)
    through = bridge_socket(bridge.port[listener])
    count = len(rig.seeded)
    for command in [b"UIDL", b"LIST", b"STAT", b"UIDL 1", b"LIST 2", b"TOP 1 3"] + [
            b"RETR %d" % i for i in range(1, count + 1)]:
        expected = multiline(direct, command)
        got = multiline(through, command)
        assert got == expected, command
    for i, message in enumerate(rig.seeded, start=1):
        got = multiline(through, b"RETR %d" % i)
        body = got.split(b"\r\n", 1)[1][:-len(b".\r\n")]
        unstuffed = b"\r\n".join(l[1:] if l.startswith(b"..") else l for l in body.split(b"\r\n"))
        assert unstuffed == message.data  # POP3 serves NUL as is (IMAP turns it into 0x80)
    through.sendall(b"QUIT\r\n")
    assert read_until(through, b"\r\n").startswith(b"+OK")
    keep.quit()
    logins = rig.dovecot.login_lines()
    assert any("pop3-login" in line and "TLS" in line for line in logins)


def test_poplib_with_auth_plain_and_dele(rig, bridge):
    seeded = seeder.seed_user(rig.dovecot, BOB, 3, seed=9, kinds=["plain"])
    p = poplib.POP3("127.0.0.1", bridge.port["pop3s"], timeout=TIMEOUT)
    p._shortcmd("AUTH PLAIN " + clients.b64(f"\0{BOB}\0{LOCAL_PASSWORD}".encode()))
    count, _ = p.stat()
    assert count >= 3
    _, lines, _ = p.retr(count)
    assert b"\r\n".join(lines) + b"\r\n" == seeded[-1].data
    p.dele(count)
    p.quit()
    p = poplib.POP3("127.0.0.1", bridge.port["stls"], timeout=TIMEOUT)
    p._putcmd("AUTH PLAIN")
    assert p._getline()[0].startswith(b"+")
    p._shortcmd(clients.b64(f"\0{BOB}\0{LOCAL_PASSWORD}".encode()))
    assert p.stat()[0] == count - 1
    capabilities = p.capa()
    assert "STLS" not in capabilities and "SASL" not in capabilities
    assert "UIDL" in capabilities
    p.quit()


def test_pipelined_commands_after_login(rig, bridge):
    s = raw_session(bridge.port["pop3s"])
    s.sendall(f"USER {ALICE}\r\nPASS {LOCAL_PASSWORD}\r\nSTAT\r\nCAPA\r\nLIST 1\r\nQUIT\r\n".encode())
    data = b""
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    lines = data.split(b"\r\n")
    assert lines[0].startswith(b"+OK") and lines[1].startswith(b"+OK")  # USER, PASS
    assert lines[2].startswith(b"+OK %d " % len(rig.seeded))
    assert b"\r\nSTLS\r\n" not in data and b"SASL" not in data
    assert data.endswith(b"\r\n")


def test_failures_are_clear_and_the_daemon_keeps_serving(rig, tmp_path):
    accounts = [account_block(rig, "alice", ALICE),
                account_block(rig, "broken", BOB, token_endpoint=f"http://127.0.0.1:{closed_port()}/token")]
    bridge = rig_bridge(rig, tmp_path / "bridge", protocol="pop3", accounts=accounts)
    try:
        p = poplib.POP3("127.0.0.1", bridge.port["pop3s"], timeout=TIMEOUT)
        p.user(ALICE)
        with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\] alice: wrong local password"):
            p.pass_("nope")
        p.user("stranger@example.net")
        with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\] no \[\[account\]\] matches"):
            p.pass_("nope")
        p.user(BOB)
        with pytest.raises(poplib.error_proto, match=r"-ERR \[SYS/TEMP\] broken: cannot get an OAuth2 token"):
            p.pass_(LOCAL_PASSWORD)
        with pytest.raises(poplib.error_proto, match=r"-ERR .*not allowed before login"):
            p.stat()
        p.user(ALICE)
        assert p.pass_(LOCAL_PASSWORD).startswith(b"+OK")
        p.quit()
    finally:
        assert bridge.stop() == 0


def test_upstream_without_stls_is_refused(rig, tmp_path):
    """upstream_tls = "starttls" and the upstream's CAPA has no STLS: no credentials go out in clear."""
    fake = FakeUpstream("pop3-no-stls").start()
    bridge = BridgeDaemon(tmp_path, [("nostls", fake.port, "starttls", rig.pki.ca_cert)],
                          [account_block(rig, "alice", ALICE)], protocol="pop3").start()
    try:
        p = poplib.POP3("127.0.0.1", bridge.port["nostls"], timeout=TIMEOUT)
        p.user(ALICE)
        with pytest.raises(poplib.error_proto,
                           match=r"-ERR \[SYS/TEMP\] alice: .*does not offer STLS; refusing to send "
                                 r"credentials in clear"):
            p.pass_(LOCAL_PASSWORD)
        p.quit()
        assert fake.lines and not [l for l in fake.lines if l.upper().startswith((b"USER", b"PASS", b"AUTH"))]
    finally:
        fake.stop()
        assert bridge.stop() == 0


def test_hostile_input_gets_errors_and_bounded_memory(rig, bridge):
    s = raw_session(bridge.port["pop3s"])
    s.sendall(b"X" * 100_000 + b"\r\n")
    assert read_until(s, b"\r\n").startswith(b"-ERR")
    s.sendall(b"\x00\xff garbage\r\n")
    assert read_until(s, b"\r\n").startswith(b"-ERR")
    s.sendall(b"NOOP\r\n" * 10_000)
    data = b""
    while data.count(b"\r\n") < 10_000:
        chunk = s.recv(65536)
        assert chunk
        data += chunk
    assert data.count(b"+OK") == 10_000
    s.close()
    p = poplib.POP3("127.0.0.1", bridge.port["pop3s"], timeout=TIMEOUT)
    p.user(ALICE)
    assert p.pass_(LOCAL_PASSWORD).startswith(b"+OK")
    p.quit()
