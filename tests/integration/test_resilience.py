"""Resilience of the relay through the real binary: max_sessions refuses the next client of
every protocol with its own protocol's error (IMAP `* BYE`, POP3 `-ERR [SYS/TEMP]`, SMTP `421`)
and accepts again once a session ends; a client that vanishes is logged out upstream between
commands only; an upstream reset reaches the client as `* BYE` between responses and as a plain
close inside one; the daemon keeps serving."""
import os
import re
import signal
import socket
import struct
import threading
import time

from bridge_fixtures import (ALICE, BridgeDaemon, Listener, RawImap, account_block, bridge_session,
                             direct_session, rig_bridge, wait_until)
from process_stats import open_fds


def first_line(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return s, data


def test_max_sessions_refuses_every_protocol_clearly_and_recovers(rig, tmp_path):
    d, ca = rig.dovecot, rig.pki.ca_cert
    bridge = BridgeDaemon(tmp_path, [Listener(protocol, d.ports[dovecot_port], "implicit", ca,
                                              protocol=protocol)
                                     for protocol, dovecot_port in (("imap", "imaps"),
                                                                    ("pop3", "pop3s"),
                                                                    ("smtp", "submissions"))],
                          [account_block(rig, "alice", ALICE)],
                          daemon_extra="max_sessions = 2").start()
    ports = bridge.port
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
        wait_until(lambda: bridge.metric("mailbridge_sessions_active", server="imap") == 1, 10,
                   "the closed IMAP session to end")

        def accepted():
            s, greeting = first_line(ports["pop3"])
            s.close()
            return greeting.startswith(b"+OK")
        wait_until(accepted, 10, "a POP3 session once one of the two ended")
        metrics = bridge.metrics()
        for server in ("imap", "pop3", "smtp"):
            assert f'mailbridge_sessions_refused_total{{server="{server}"}} 1' in metrics, metrics
        assert bridge.alive()
    finally:
        for s in held:
            s.close()
        bridge.stop()


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
    bridge = rig_bridge(rig, tmp_path)
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
        sent_before = relayed(bridge, "imaps", "client_to_upstream")
        append = b"A1 APPEND INBOX {100+}\r\n" + b"x" * 90
        s.send(append)
        # The bridge has read (and relayed) the whole unfinished APPEND: it is inside the literal.
        wait_until(lambda: relayed(bridge, "imaps", "client_to_upstream") >= sent_before + len(append),
                   10, "the bridge to relay the unfinished APPEND")
        reset(s.sock)
        line = d.wait_log(r"imap\(alice@example\.com\).*Disconnected: ", since=since)
        assert "Logged out" not in line, line
        assert messages_in_inbox(direct, "C2") == before
        direct.close()
        assert bridge.alive()
    finally:
        bridge.stop()


def relayed(bridge, server, direction):
    """Bytes the bridge relayed for `server` in `direction` (mailbridge_bytes_total)."""
    return bridge.metric("mailbridge_bytes_total", server=server, direction=direction) or 0


def imap_processes(dovecot):
    """PIDs of the Dovecot master's `imap` children (one per IMAP session in the rig)."""
    master = dovecot.proc.pid
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if int(fields[1]) == master and comm == "imap":
            found.add(int(entry))
    return found


def bridge_session_with_its_imap_process(rig, port):
    """A bridge session and the PID of the Dovecot process serving it upstream."""
    before = imap_processes(rig.dovecot)
    s = bridge_session(port)

    def one_new():
        new = imap_processes(rig.dovecot) - before
        return new if len(new) == 1 else None
    return s, wait_until(one_new, 10, "the one Dovecot imap process serving the bridge session").pop()


def read_to_close(sock, timeout=20):
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(1 << 16)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def test_upstream_reset_says_bye_between_responses_and_never_inside_one(rig, tmp_path):
    d = rig.dovecot
    folder = "reset-test"
    maildir = d.ensure_maildir(ALICE, folder)
    body = b"".join(b"line %07d of a message cut by an upstream reset\r\n" % i
                    for i in range(500000))  # ~25 MB: more than every socket buffer on the way
    message = (b"From: reset@example.com\r\nTo: alice@example.com\r\nSubject: big\r\n\r\n" + body)
    with open(os.path.join(maildir, "new", "1700000000.M1P1.reset"), "wb") as f:
        f.write(message)
    d.fix_owner(d.home(ALICE))
    bridge = rig_bridge(rig, tmp_path)
    try:
        # Between responses: the client gets a * BYE naming the upstream, then the close.
        s, pid = bridge_session_with_its_imap_process(rig, bridge.port["imaps"])
        _, done = s.command("S1", "SELECT INBOX")
        assert done.startswith(b"S1 OK"), done
        os.kill(pid, signal.SIGKILL)
        rest = read_to_close(s.sock)
        assert rest.startswith(b"* BYE ") and b"upstream server closed the connection" in rest, rest
        assert rest.endswith(b"\r\n") and rest.count(b"\r\n") == 1, rest
        s.close()

        # Inside a 25 MB literal (the client reads slowly, so the cut lands in the middle): the
        # client gets a true prefix of the message and the close, never a BYE inside the data.
        s, pid = bridge_session_with_its_imap_process(rig, bridge.port["imaps"])
        _, done = s.command("S2", f"SELECT {folder}")
        assert done.startswith(b"S2 OK"), done
        relayed_before = relayed(bridge, "imaps", "upstream_to_client")
        s.send(b"F1 FETCH 1 (BODY.PEEK[])\r\n")
        head = s.read_line()
        assert head.startswith(b"* 1 FETCH (BODY[] {%d}" % len(message)), head
        first = s.read_exact(64 * 1024)
        # The client stops reading; the bridge has relayed more than it read plus the relay's
        # 256 KiB queue (its high-water mark): it is well inside the literal, reading no further.
        wait_until(lambda: relayed(bridge, "imaps", "upstream_to_client")
                   > relayed_before + (64 + 256) * 1024, 10, "the bridge to fill its queue")
        os.kill(pid, signal.SIGKILL)
        received = first + s.buf + read_to_close(s.sock)
        assert 64 * 1024 <= len(received) < len(message), len(received)
        assert message.startswith(received), "bytes not from the message reached the client"
        s.close()

        # The bridge lives on, with no session left behind.
        wait_until(lambda: 'mailbridge_sessions_active{server="imaps"} 0' in bridge.metrics(), 10,
                 "both sessions to end")
        bridge_session(bridge.port["imaps"]).close()
        assert bridge.alive()
    finally:
        bridge.stop()
        direct = direct_session(rig)
        direct.command("D1", f"DELETE {folder}")
        direct.close()


def test_dovecot_restart_under_load_recovers_at_once_and_leaks_nothing(rig, tmp_path):
    bridge = rig_bridge(rig, tmp_path)
    stop = threading.Event()
    results = []  # (monotonic time, ok, detail)

    def client_loop():
        while not stop.is_set():
            try:
                with RawImap.connect(bridge.port["imaps"]) as s:
                    s.greeting()
                    _, done = s.login()
                    if done.startswith(b"L1 OK"):
                        _, done = s.command("S1", "SELECT INBOX")
                        ok = done.startswith(b"S1 OK")
                        s.command("Z1", "LOGOUT")
                    else:
                        ok = False
                    results.append((time.monotonic(), ok, done))
            except (OSError, ConnectionError) as e:
                results.append((time.monotonic(), False, repr(e).encode()))

    try:
        bridge_session(bridge.port["imaps"]).close()  # warm: token fetched
        wait_until(lambda: bridge.metric("mailbridge_sessions_active", server="imaps") == 0, 10,
                   "the warm-up session to end")
        fds_before = open_fds(bridge.pid)
        threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(8)]
        for t in threads:
            t.start()
        wait_until(lambda: sum(1 for r in results if r[1]) >= 40, 20, "40 sessions before restart")
        rig.dovecot.stop()
        down_at = time.monotonic()
        wait_until(lambda: sum(1 for r in results if r[0] > down_at + 0.1) >= 8, 20,
                   "8 sessions ended while Dovecot is down")
        restart_at = time.monotonic()
        rig.dovecot.start()
        back_at = time.monotonic()
        wait_until(lambda: sum(1 for r in results if r[0] > back_at and r[1]) >= 40, 20,
                   "40 sessions after restart")
        wait_until(lambda: sum(1 for r in results if r[0] > back_at + 1.0) >= 8, 20,
                   "8 sessions ended from one second after the restart on")
        stop.set()
        for t in threads:
            t.join(timeout=30)

        during = [r for r in results if down_at + 0.1 < r[0] < restart_at]
        assert during and all(not r[1] for r in during), "no login failed while Dovecot was down"
        # Failures while it was down were clear protocol answers, not hangs or garbage.
        for _, _, detail in during:
            assert detail.startswith(b"L1 NO [UNAVAILABLE] alice: ") or b"Error" in detail, detail
        # Back at once: from one second after the restart on, every session succeeds.
        late = [r for r in results if r[0] > back_at + 1.0]
        assert late and all(r[1] for r in late), [r[2] for r in late if not r[1]][:3]

        wait_until(lambda: 'mailbridge_sessions_active{server="imaps"} 0' in bridge.metrics(), 10,
                 "every session to end")
        assert open_fds(bridge.pid) <= fds_before + 2, (fds_before, open_fds(bridge.pid))
        assert bridge.alive()
    finally:
        stop.set()
        bridge.stop()
        if not rig.dovecot.running():
            rig.dovecot.start()
