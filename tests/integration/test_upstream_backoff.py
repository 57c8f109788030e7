"""Upstream backoff per (account, upstream) against a real client and Dovecot: an upstream that
accepts and at once closes is reached at most 6 times by 30 logins in 10 s, every client gets a
fast, clear refusal with the retry time, /readyz and /metrics show the backoff, and once the
upstream is healthy again (the same address now forwards to Dovecot) logins succeed without a
restart and the backoff is cleared."""
import imaplib
import json
import socket
import threading
import time

from bridge_fixtures import ALICE, LOCAL_PASSWORD, BridgeDaemon, account_block, wait_for
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
        wait_for(recovered, 40, "a login through the recovered upstream")
        report = json.loads(http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")[1])
        assert report["backoff"] == [], report["backoff"]
        assert bridge.alive()
    finally:
        bridge.stop()
        upstream.stop()
