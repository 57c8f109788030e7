"""Many idle authenticated IMAP sessions through one bridge: opens N client connections (plain, to
the bridge), logs each in (the bridge holds a TLS upstream per session to Dovecot), then leaves
them idle and prints the bridge's RSS per session, its CPU while idle and its open descriptors.
Dovecot is configured by this script to serve many sessions per imap process.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_idle_sessions.py --bin build/mailbridge

Needs about 2 N + 1000 open files for this process, the bridge and Dovecot (raised here when the
hard limit allows, which it does for root).
"""
import resource
import selectors
import socket
import time

import bench_support
from bridge_fixtures import ALICE, LOCAL_PASSWORD, bridge_session
from process_stats import cpu_seconds, open_fds, rss_kib


def raise_fd_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
    except (ValueError, PermissionError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Client:
    """One non-blocking session: greeting → LOGIN → authenticated (then idle)."""

    def __init__(self, port, user):
        self.sock = socket.socket()
        self.sock.setblocking(False)
        self.sock.connect_ex(("127.0.0.1", port))
        self.user = user
        self.buf = b""
        self.state = "greeting"  # → login → ready | failed

    def on_readable(self):
        data = self.sock.recv(4096)
        if not data:
            self.state = "failed"
            self.error = f"closed in state {self.state}: {self.buf[:200]!r}"
            return
        self.buf += data
        while b"\r\n" in self.buf:
            line, _, self.buf = self.buf.partition(b"\r\n")
            if self.state == "greeting":
                if not line.startswith(b"* OK"):
                    self.state, self.error = "failed", f"greeting {line!r}"
                    return
                self.sock.sendall(f'L LOGIN "{self.user}" "{LOCAL_PASSWORD}"\r\n'.encode())
                self.state = "login"
            elif self.state == "login" and line.startswith(b"L "):
                if line.startswith(b"L OK"):
                    self.state = "ready"
                else:
                    self.state, self.error = "failed", f"login {line[:200]!r}"


def open_sessions(port, count, user, batch, timeout):
    """Opens `count` sessions, at most `batch` logging in at once; returns (clients, errors)."""
    selector = selectors.DefaultSelector()
    clients, errors, pending = [], [], []
    deadline = time.monotonic() + timeout
    while (len(clients) + len(errors) < count or pending) and time.monotonic() < deadline:
        while len(pending) < batch and len(clients) + len(errors) + len(pending) < count:
            c = Client(port, user)
            selector.register(c.sock, selectors.EVENT_READ, c)
            pending.append(c)
        for key, _ in selector.select(timeout=1):
            c = key.data
            try:
                c.on_readable()
            except OSError as e:
                c.state, c.error = "failed", repr(e)
        still = []
        for c in pending:
            if c.state == "ready":
                selector.unregister(c.sock)
                clients.append(c)
            elif c.state == "failed":
                selector.unregister(c.sock)
                c.sock.close()
                errors.append(c.error)
            else:
                still.append(c)
        pending = still
    for c in pending:
        errors.append(f"timed out in state {c.state}")
        c.sock.close()
    return clients, errors


def options(parser):
    parser.add_argument("--sessions", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=200, help="logins under way at once")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds to watch idle CPU")


def fit_sessions_to_fd_limit(args):
    limit = raise_fd_limit(2 * args.sessions + 2000)
    print(f"open-file limit {limit}", flush=True)
    fit = (limit - 200) // 2  # each session holds two descriptors in the bridge
    if args.sessions > fit:
        print(f"the open-file hard limit ({limit}) fits {fit} sessions, not {args.sessions}: "
              f"measuring {fit} (raise the hard limit, e.g. as root, for more)", flush=True)
        args.sessions = fit


def run(args, bench):
    daemon = bench.bridge(listeners=["imaps"], idle_timeout=86400)
    pid = daemon.pid
    warm = bridge_session(daemon.port["imaps"])  # token fetched, password hash verified
    warm.command("Z", "LOGOUT")
    warm.close()
    time.sleep(1)  # a measurement: the bridge's RSS once the warm-up session has settled
    rss_before = rss_kib(pid)
    started = time.monotonic()
    clients, errors = open_sessions(daemon.port["imaps"], args.sessions, ALICE, args.batch,
                                    timeout=600)
    try:
        opened_in = time.monotonic() - started
        print(f"{len(clients)} sessions logged in in {opened_in:.1f} s "
              f"({len(clients) / opened_in:.0f}/s), {len(errors)} errors", flush=True)
        for e in errors[:5]:
            print(f"  {e}")
        time.sleep(5)  # a measurement: RSS once the sessions have settled
        rss_after = rss_kib(pid)
        cpu_start = cpu_seconds(pid)
        time.sleep(args.idle)  # a measurement: the CPU used while everything is idle
        cpu_idle = cpu_seconds(pid) - cpu_start
        rss_idle = rss_kib(pid)
        fds = open_fds(pid)
    finally:
        for c in clients:
            c.sock.close()
    n = max(1, len(clients))
    bench_support.report(
        f"{len(clients)} idle authenticated IMAP sessions (client plain, upstream TLS)",
        [("bridge RSS before", f"{rss_before / 1024:.1f} MB"),
         ("with the sessions", f"{rss_after / 1024:.1f} MB"),
         (f"after {args.idle:.0f} s idle", f"{rss_idle / 1024:.1f} MB"),
         ("RSS per session", f"{(rss_idle - rss_before) / n:.1f} KiB"),
         ("bridge CPU idle", f"{cpu_idle * 1000:.0f} ms in {args.idle:.0f} s "
                             f"({cpu_idle / args.idle * 100:.2f} % of one core)"),
         ("bridge open fds", fds),
         ("login errors", len(errors))])
    return 0 if not errors else 1


if __name__ == "__main__":
    bench_support.main(__doc__, run, options, prepare=fit_sessions_to_fd_limit,
                       rig_options=lambda args: {"imap_clients_per_process": 250})
