"""Live reload through the real binary: a SIGHUP that adds a listener, removes another, raises the
log level and removes an account keeps open sessions relaying (an IDLE session still receives
EXISTS), opens the new listener at once, stops the removed one accepting while its session goes
on, and ends the removed account's sessions with their protocol's goodbye (`* BYE`, `-ERR`,
`421`) naming the reload; a file that fails validation changes nothing."""
import signal
import socket

import pytest

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, BridgeDaemon, Listener, RawImap,
                             account_block, bridge_session, daemon_block, direct_session, plain_ir,
                             rig_bridge, server_block)
from mailbridge_process import http_get
from rig.ports import free_port


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


MAILBOX = "reload-test"  # its own mailbox: INBOX counts of other tests stay as seeded


def append_message(session, tag, subject):
    body = (f"From: reload@example.com\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\n"
            "sent while the bridge reloaded\r\n").encode()
    session.send(f"{tag} APPEND {MAILBOX} {{{len(body)}+}}\r\n".encode() + body + b"\r\n")
    _, done = session.read_until_tagged(tag)
    assert done.startswith(tag.encode() + b" OK"), done


def test_sighup_keeps_sessions_adds_and_removes_listeners_and_accounts(rig, tmp_path):
    d, ca = rig.dovecot, rig.pki.ca_cert
    bridge = rig_bridge(rig, tmp_path, log_level=3)
    process = bridge.process
    direct = direct_session(rig)
    _, done = direct.command("C1", f"CREATE {MAILBOX}")
    assert done.startswith(b"C1 OK"), done
    opened = []
    try:
        idle = bridge_session(bridge.port["imaps"])
        opened.append(idle)
        _, done = idle.command("S1", f"SELECT {MAILBOX}")
        assert done.startswith(b"S1 OK"), done
        idle.send(b"I1 IDLE\r\n")
        assert idle.read_line().startswith(b"+ "), "IDLE was not accepted"

        on_removed_listener = bridge_session(bridge.port["starttls"])
        opened.append(on_removed_listener)
        bob = bridge_session(bridge.port["imaps"], user=BOB)
        opened.append(bob)
        _, done = bob.command("B1", "SELECT INBOX")
        assert done.startswith(b"B1 OK"), done

        # New file: listener "starttls" gone, listener "added" new, bob gone, log level 4.
        added_port = free_port()
        text = daemon_block(bridge.health_port, log_level=4)
        text += server_block("imaps", bridge.port["imaps"], d.ports["imaps"], "implicit", ca)
        text += server_block("added", added_port, d.ports["imap"], "starttls", ca)
        text += account_block(rig, "alice", ALICE)
        process.rewrite_config(text)
        since = len(process.log())
        process.signal(signal.SIGHUP)
        process.wait_for_log("reloaded ")

        # The removed account's session gets the goodbye, then the connection ends.
        goodbye = bob.read_line()
        assert goodbye.startswith(b"* BYE ") and b"account bob was removed" in goodbye \
            and b"reload" in goodbye, goodbye
        with pytest.raises(ConnectionError):
            bob.read_line()

        # The IDLE session keeps relaying: a message appended now arrives as EXISTS.
        append_message(direct, "P1", "during reload")
        line = idle.read_line()
        assert line.startswith(b"* ") and line.rstrip().endswith(b" EXISTS"), line
        idle.send(b"DONE\r\n")
        _, done = idle.read_until_tagged("I1")
        assert done.startswith(b"I1 OK"), done

        # The added listener takes logins at once; bob is unknown now.
        fresh = bridge_session(added_port)
        opened.append(fresh)
        _, done = fresh.command("F1", "SELECT INBOX")
        assert done.startswith(b"F1 OK"), done
        with RawImap.connect(added_port) as stranger:
            assert stranger.greeting().startswith(b"* OK")
            _, done = stranger.login(BOB, LOCAL_PASSWORD)
            assert done.startswith(b"L1 NO"), done

        # The removed listener accepts nobody, but its open session still works.
        assert refused(bridge.port["starttls"])
        _, done = on_removed_listener.command("R1", "SELECT INBOX")
        assert done.startswith(b"R1 OK"), done

        # Level 4 (debug) is in force: health requests are logged now, and were not before.
        assert "health endpoint: GET" not in process.log()[:since]
        http_get(f"http://127.0.0.1:{bridge.health_port}/healthz")
        process.wait_for_log("health endpoint: GET /healthz -> 200")
        assert "log level is now 4" in process.log()[since:]
        assert bridge.alive()
    finally:
        for s in opened:
            s.close()
        bridge.stop()
        direct.command("D1", f"DELETE {MAILBOX}")
        direct.close()


def test_sighup_moving_a_listener_rebinds_and_a_failing_file_changes_nothing(rig, tmp_path):
    d, ca = rig.dovecot, rig.pki.ca_cert
    bridge = rig_bridge(rig, tmp_path, log_level=3)
    process = bridge.process
    try:
        held = bridge_session(bridge.port["imaps"])
        moved_port = free_port()
        text = daemon_block(bridge.health_port, log_level=3)
        text += server_block("imaps", moved_port, d.ports["imaps"], "implicit", ca)
        text += server_block("starttls", bridge.port["starttls"], d.ports["imap"], "starttls", ca)
        text += account_block(rig, "alice", ALICE) + account_block(rig, "bob", BOB)

        # A broken file first: nothing moves.
        process.rewrite_config(text + "\n[[server]]\nname = 7\n")
        process.signal(signal.SIGHUP)
        process.wait_for_log("reload failed")
        assert refused(moved_port)
        bridge_session(bridge.port["imaps"]).close()

        process.rewrite_config(text)
        process.signal(signal.SIGHUP)
        process.wait_for_log("moves from")
        process.wait_for_log("reloaded ")
        bridge_session(moved_port).close()
        assert refused(bridge.port["imaps"])
        _, done = held.command("H1", "NOOP")
        assert done.startswith(b"H1 OK"), done
        held.close()

        # A removed server's address taken over by a new one in the same reload.
        text = daemon_block(bridge.health_port, log_level=3)
        text += server_block("imaps", moved_port, d.ports["imaps"], "implicit", ca)
        text += server_block("takeover", bridge.port["starttls"], d.ports["imaps"], "implicit", ca)
        text += account_block(rig, "alice", ALICE) + account_block(rig, "bob", BOB)
        process.rewrite_config(text)
        since = len(process.log())
        process.signal(signal.SIGHUP)
        process.wait_for_log("server takeover listening on")
        process.wait_for_log("reloaded ")
        assert "address already in use" not in process.log()[since:].lower()
        bridge_session(bridge.port["starttls"]).close()
        assert bridge.alive()
    finally:
        bridge.stop()


class LineSocket:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"closed; unread {self.buf!r}")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def say(self, text):
        self.sock.sendall(text.encode() + b"\r\n")


def test_sighup_removing_an_account_says_goodbye_in_pop3_and_smtp(rig, tmp_path):
    d, ca = rig.dovecot, rig.pki.ca_cert
    bob_account = account_block(rig, "bob", BOB)
    bridge = BridgeDaemon(tmp_path, [Listener("pop3", d.ports["pop3s"], "implicit", ca, protocol="pop3"),
                                     Listener("smtp", d.ports["submissions"], "implicit", ca,
                                              protocol="smtp")],
                          [account_block(rig, "alice", ALICE), bob_account]).start()
    process, pop3, smtp = bridge.process, bridge.port["pop3"], bridge.port["smtp"]
    try:
        p = LineSocket(pop3)
        assert p.line().startswith(b"+OK")
        p.say(f"USER {BOB}")
        assert p.line().startswith(b"+OK")
        p.say(f"PASS {LOCAL_PASSWORD}")
        assert p.line().startswith(b"+OK")

        s = LineSocket(smtp)
        assert s.line().startswith(b"220")
        s.say("EHLO reload.test")
        while not s.line().startswith(b"250 "):
            pass
        s.say("AUTH PLAIN " + plain_ir(BOB, LOCAL_PASSWORD))
        assert s.line().startswith(b"235"), "SMTP login failed"

        process.rewrite_config(bridge.config_text.replace(bob_account, ""))
        process.signal(signal.SIGHUP)
        process.wait_for_log("reloaded ")
        goodbye = p.line()
        assert goodbye.startswith(b"-ERR ") and b"account bob was removed" in goodbye, goodbye
        goodbye = s.line()
        assert goodbye.startswith(b"421 ") and b"account bob was removed" in goodbye, goodbye
        with pytest.raises(ConnectionError):
            p.line()
        with pytest.raises(ConnectionError):
            s.line()
        p.sock.close()
        s.sock.close()
        assert bridge.alive()
    finally:
        bridge.stop()
