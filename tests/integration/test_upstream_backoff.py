"""Upstream backoff per (account, upstream) against a real client and Dovecot: an upstream that
accepts and at once closes is reached at most 6 times by 30 logins in 10 s, every client gets a
fast, clear refusal with the retry time, /readyz and /metrics show the backoff, and once the
upstream is healthy again (the same address now forwards to Dovecot) logins succeed without a
restart and the backoff is cleared. A throttled login's "Suggested Backoff Time" (Microsoft 365)
is the least delay of its route's backoff, and such a login is not retried with a new token."""
import imaplib
import json
import socket
import threading
import time

from bridge_fixtures import (ALICE, LOCAL_PASSWORD, BridgeDaemon, FakeUpstream, account_block,
                             wait_until)
from mailbridge_process import http_get


class SwitchableUpstream:
    """Loopback TCP server: 'close' accepts and closes at once; 'forward' relays to `target`."""

    def __init__(self, target_port):
        self.mode = "close"
        self.accepted = 0
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped.set()
        self.thread.join(5)
        self.listener.close()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            self.accepted += 1
            if self.mode == "close":
                conn.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def try_login(port):
    """(ok, message, seconds) of one imaplib login through the bridge."""
    started = time.monotonic()
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=20)
    try:
        imap.login(ALICE, LOCAL_PASSWORD)
        imap.logout()
        return True, "", time.monotonic() - started
    except imaplib.IMAP4.error as error:
        return False, str(error), time.monotonic() - started
    finally:
        try:
            imap.shutdown()
        except OSError:
            pass


def test_backoff_limits_attempts_and_recovers_without_restart(rig, tmp_path):
    upstream = SwitchableUpstream(rig.dovecot.ports["imaps"])
    bridge = BridgeDaemon(tmp_path, [("flaky", upstream.port, "implicit", rig.pki.ca_cert)],
                          [account_block(rig, "alice", ALICE)], upstream_backoff_max=60)
    bridge.start()
    try:
        port = bridge.port["flaky"]
        results = []
        began = time.monotonic()
        for i in range(30):
            # A kept sleep: the scenario is a rate (three logins a second for ten seconds).
            time.sleep(max(0.0, began + i / 3 - time.monotonic()))
            results.append(try_login(port))
        assert time.monotonic() - began < 15
        assert not any(ok for ok, _, _ in results), results
        for ok, message, seconds in results:
            assert "UNAVAILABLE" in message, message
            assert seconds < 3, (message, seconds)
            assert "further logins wait" in message or "next attempt in" in message, message
        assert sum("backing off" in m for _, m, _ in results) >= 20, results
        assert 1 <= upstream.accepted <= 6, upstream.accepted

        report = json.loads(http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")[1])
        (state,) = report["backoff"]
        assert state["account"] == "alice" and state["upstream"] == f"127.0.0.1:{upstream.port}"
        assert state["failures"] >= 1 and state["last_error"], state
        failures = [line for line in bridge.metrics().splitlines()
                    if line.startswith("mailbridge_upstream_backoff_failures{")]
        assert failures and not failures[0].endswith(" 0"), failures

        # Healthy again: the next login after the wait gets through, no restart needed.
        upstream.mode = "forward"
        outcome = {}

        def recovered():
            ok, message, _ = try_login(port)
            outcome["last"] = message
            return ok
        wait_until(recovered, 40, "a login through the recovered upstream")
        report = json.loads(http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")[1])
        assert report["backoff"] == [], report["backoff"]
        assert bridge.alive()
    finally:
        bridge.stop()
        upstream.stop()


def test_suggested_backoff_time_is_the_least_delay(rig, tmp_path):
    """A fake IMAPS upstream throttles every AUTHENTICATE the way Microsoft 365 does, suggesting
    3000 ms: the bridge backs off for 3 s (without the hint the first delay is 1-1.25 s), says so,
    refuses the next login at once, and asks upstream only once per allowed attempt."""
    fake = FakeUpstream("tls", rig.pki.server_cert, rig.pki.server_key,
                        refusal=b"NO Request is throttled. Suggested Backoff Time: 3000").start()
    bridge = BridgeDaemon(tmp_path, [("throttled", fake.port, "implicit", rig.pki.ca_cert)],
                          [account_block(rig, "alice", ALICE)], upstream_backoff_max=60)
    bridge.start()
    try:
        port = bridge.port["throttled"]
        ok, message, _ = try_login(port)
        assert not ok and "throttled" in message and "further logins wait 3 s" in message, message
        assert fake.commands.count("AUTHENTICATE") == 1, fake.commands  # no retry with a new token
        report = json.loads(http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")[1])
        (state,) = report["backoff"]
        assert state["proxy"] == "direct" and state["retry_in_seconds"] > 1.5, state
        until = [line for line in bridge.metrics().splitlines()
                 if line.startswith("mailbridge_upstream_backoff_until_seconds{")]
        assert until and float(until[0].split()[-1]) - time.time() > 1.5, until

        ok, message, seconds = try_login(port)
        assert not ok and "backing off" in message, message
        assert "next attempt in 3 s" in message or "next attempt in 2 s" in message, message
        assert seconds < 1, seconds
        assert fake.commands.count("AUTHENTICATE") == 1, fake.commands

        # After the suggested time the route may try again, and the upstream hears from it.
        attempts = fake.commands.count("AUTHENTICATE")
        wait_until(lambda: not try_login(port)[0] and fake.commands.count("AUTHENTICATE") > attempts,
                 15,
                 "a login reaching the upstream once the suggested time passed")
        assert bridge.alive()
    finally:
        bridge.stop()
        fake.stop()
