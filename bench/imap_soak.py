"""Soak: many IMAP sessions doing mixed commands through the bridge for minutes, plus a steady
stream of short logins. Prints the errors (the target is 0), commands and logins done, and the
bridge's RSS and open file descriptors after the warm-up and at the end (the target is flat within
10 %).

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_soak.py --bin build/mailbridge
"""
import random
import threading
import time

import bench_support
from bridge_fixtures import RawImap, account_block, bridge_session
from process_stats import open_fds, rss_kib
from rig import seeder
from rig.stack import DEFAULT_USERS

COMMANDS = [
    "NOOP",
    "EXAMINE INBOX",
    "FETCH 1:10 (FLAGS UID RFC822.SIZE)",
    "FETCH 1:5 (ENVELOPE INTERNALDATE)",
    "UID SEARCH ALL",
    "STATUS INBOX (MESSAGES UIDNEXT UNSEEN)",
    'LIST "" "*"',
    "FETCH 3 BODY.PEEK[HEADER]",
    "FETCH 2 BODY.PEEK[]",
]


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.commands = 0
        self.logins = 0
        self.errors = []

    def ok(self, what):
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)

    def error(self, text):
        with self.lock:
            self.errors.append(text)


def session_worker(port, user, stop, counters, rng):
    try:
        s = bridge_session(port, user=user)
        _, done = s.command("S0", "EXAMINE INBOX")
        if not done.startswith(b"S0 OK"):
            counters.error(f"EXAMINE: {done!r}")
        n = 0
        while not stop.is_set():
            n += 1
            tag = f"T{n}"
            if rng.random() < 0.1:  # a short IDLE
                s.send(f"{tag} IDLE\r\n")
                if not s.read_line().startswith(b"+"):
                    counters.error("IDLE not accepted")
                time.sleep(rng.uniform(0.2, 1.0))
                s.send(b"DONE\r\n")
                _, done = s.read_until_tagged(tag)
            else:
                _, done = s.command(tag, rng.choice(COMMANDS))
            if done.startswith(tag.encode() + b" OK"):
                counters.ok("commands")
            else:
                counters.error(f"{done[:200]!r}")
            time.sleep(rng.uniform(0.05, 0.5))
        s.command("Z", "LOGOUT")
        s.close()
    except Exception as e:  # noqa: BLE001 - every failure is a counted error
        counters.error(f"session {user}: {e!r}")


def login_worker(port, users, rate, stop, counters):
    interval = 1.0 / rate
    next_at = time.monotonic()
    i = 0
    while not stop.is_set():
        next_at += interval
        user = users[i % len(users)]
        i += 1
        try:
            with RawImap.connect(port) as s:
                s.greeting()
                _, done = s.login(user)
                if done.startswith(b"L1 OK"):
                    s.command("Z1", "LOGOUT")
                    counters.ok("logins")
                else:
                    counters.error(f"login {user}: {done!r}")
        except Exception as e:  # noqa: BLE001
            counters.error(f"login {user}: {e!r}")
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def options(parser):
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--logins-per-second", type=float, default=20.0)


def run(args, bench):
    rig = bench.rig
    users = list(DEFAULT_USERS)
    stop = threading.Event()
    counters = Counters()
    threads = []
    for user in users:
        seeder.seed_user(rig.dovecot, user, 30, seed=7)
    accounts = [account_block(rig, user.split("@")[0], user) for user in users]
    daemon = bench.bridge(listeners=["imaps"], accounts=accounts)
    port, pid = daemon.port["imaps"], daemon.pid
    try:
        for i in range(args.sessions):
            t = threading.Thread(target=session_worker,
                                 args=(port, users[i % len(users)], stop, counters,
                                       random.Random(i)), daemon=True)
            t.start()
            threads.append(t)
        t = threading.Thread(target=login_worker,
                             args=(port, users, args.logins_per_second, stop, counters),
                             daemon=True)
        t.start()
        threads.append(t)

        duration = args.minutes * 60
        warmup = min(60.0, duration / 10)
        started = time.monotonic()
        time.sleep(warmup)
        rss_start, fds_start = rss_kib(pid), open_fds(pid)
        samples = [rss_start]
        while time.monotonic() - started < duration:
            time.sleep(5)
            samples.append(rss_kib(pid))
            elapsed = time.monotonic() - started
            print(f"  {elapsed:5.0f} s: {counters.commands} commands, {counters.logins} logins, "
                  f"{len(counters.errors)} errors, RSS {samples[-1] / 1024:.1f} MB", flush=True)
        rss_end, fds_end = rss_kib(pid), open_fds(pid)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    rows = [("commands ok", counters.commands), ("logins ok", counters.logins),
            ("errors", len(counters.errors))]
    rows += [("", f"  {text}") for text in counters.errors[:5]]
    rows += [(f"bridge RSS after {warmup:.0f} s warm-up", f"{rss_start / 1024:.1f} MB"),
             ("bridge RSS at the end",
              f"{rss_end / 1024:.1f} MB ({(rss_end - rss_start) / rss_start * 100:+.1f} %), "
              f"max {max(samples) / 1024:.1f} MB"),
             ("bridge open fds", f"{fds_start} -> {fds_end}")]
    bench_support.report(f"soak: {args.sessions} sessions with mixed commands + "
                         f"{args.logins_per_second:g} logins/s for {args.minutes:g} min", rows)
    return 0 if not counters.errors else 1


if __name__ == "__main__":
    bench_support.main(__doc__, run, options)
