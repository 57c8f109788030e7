"""Resilience of the relay through the real binary: max_sessions refuses the next client of
every protocol with its own protocol's error (IMAP `* BYE`, POP3 `-ERR [SYS/TEMP]`, SMTP `421`)
and accepts again once a session ends; the daemon keeps serving."""
import re
import socket
import struct
import time

from bridge_fixtures import (ALICE, account_block, bridge_session, daemon_block, direct_session,
                             server_block, standard_bridge, wait_for)
from mailbridge_process import MailbridgeProcess, free_port, http_get


def first_line(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return s, data


def protocol_block(name, protocol, listen, upstream, tls, ca):
    return server_block(name, listen, upstream, tls, ca).replace('protocol = "imap"',
                                                                 f'protocol = "{protocol}"')


def test_max_sessions_refuses_every_protocol_clearly_and_recovers(rig, tmp_path):
    d, ca = rig.dovecot, rig.pki.ca_cert
    health = free_port()
    ports = {"imap": free_port(), "pop3": free_port(), "smtp": free_port()}
    text = daemon_block(health).replace("[daemon]\n", "[daemon]\nmax_sessions = 2\n")
    text += protocol_block("imap", "imap", ports["imap"], d.ports["imaps"], "implicit", ca)
    text += protocol_block("pop3", "pop3", ports["pop3"], d.ports["pop3s"], "implicit", ca)
    text += protocol_block("smtp", "smtp", ports["smtp"], d.ports["submissions"], "implicit", ca)
    text += account_block(rig, "alice", ALICE)
    process = MailbridgeProcess(tmp_path, text)
    process.start(health_url=f"http://127.0.0.1:{health}/healthz")
    held = []
    try:
        for _ in range(2):
            s, greeting = first_line(ports["imap"])
            assert greeting.startswith(b"* OK"), greeting
            held.append(s)
        s, refused = first_line(ports["imap"])
        s.close()
        assert refused.startswith(b"* BYE ") and b"max_sessions = 2" in refused, refused
        s, refused = first_line(ports["pop3"])
        s.close()
        assert refused.startswith(b"-ERR [SYS/TEMP] ") and b"too many sessions" in refused, refused
        s, refused = first_line(ports["smtp"])
        s.close()
        assert refused.startswith(b"421 4.3.2 ") and b"try again later" in refused, refused

        held.pop().close()
        # Wait until the bridge noticed that close, so the next POP3 client is not refused too.
        wait_for(lambda: 'mailbridge_sessions_active{server="imap"} 1' in
                 http_get(f"http://127.0.0.1:{health}/metrics")[1], 10,
                 "the closed IMAP session to end")

        def accepted():
            s, greeting = first_line(ports["pop3"])
            s.close()
            return greeting.startswith(b"+OK")
        wait_for(accepted, 10, "a POP3 session once one of the two ended")
        metrics = http_get(f"http://127.0.0.1:{health}/metrics")[1]
        for server in ("imap", "pop3", "smtp"):
            assert f'mailbridge_sessions_refused_total{{server="{server}"}} 1' in metrics, metrics
        assert process.process.poll() is None
    finally:
        for s in held:
            s.close()
        process.stop()
        process.kill()


def reset(sock):
    """Close with RST, as a crashed client would."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def messages_in_inbox(session, tag):
    untagged, done = session.command(tag, "STATUS INBOX (MESSAGES)")
    assert done.startswith(tag.encode() + b" OK"), done
    found = re.search(rb"MESSAGES (\d+)", b"".join(untagged) if isinstance(untagged, list)
                      else untagged)
    assert found, untagged
    return int(found.group(1))


def test_client_reset_logs_out_upstream_only_between_commands(rig, tmp_path):
    bridge = standard_bridge(rig, tmp_path)
    d = rig.dovecot
    try:
        # Between commands: the bridge says LOGOUT for the vanished client.
        since = d.log_size()
        s = bridge_session(bridge.port["imaps"])
        _, done = s.command("S1", "SELECT INBOX")
        assert done.startswith(b"S1 OK"), done
        reset(s.sock)
        line = d.wait_log(r"imap\(alice@example\.com\).*Disconnected: ", since=since)
        assert "Logged out" in line, line

        # Inside an APPEND literal: LOGOUT would become message data, so the bridge just closes
        # and nothing is appended.
        direct = direct_session(rig)
        before = messages_in_inbox(direct, "C1")
        since = d.log_size()
        s = bridge_session(bridge.port["imaps"])
        s.send(b"A1 APPEND INBOX {100+}\r\n" + b"x" * 90)
        time.sleep(0.3)
        reset(s.sock)
        line = d.wait_log(r"imap\(alice@example\.com\).*Disconnected: ", since=since)
        assert "Logged out" not in line, line
        assert messages_in_inbox(direct, "C2") == before
        direct.close()
        assert bridge.alive()
    finally:
        bridge.stop()
