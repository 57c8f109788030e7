"""Many short logins with realistic tokens: 50,000 IMAP logins (connect, LOGIN, LOGOUT) through the
bridge while the rig issues 2 KB JWT-sized access tokens that expire every few minutes. Prints the
bridge's RSS after the first 1,000 logins and at the end (target: at most 2 MB more), the log's
count of masked values (flat), and the bridge's CPU time per login in the first and the last
windows (target: equal within 20 %: a log line costs the same after 50,000 logins).

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_login_churn.py --bin build/mailbridge
"""
import argparse
import os
import re
import statistics
import sys
import threading
import time

import mailbridge_process
from bridge_fixtures import ALICE, RawImap, account_block, imaps_bridge
from process_stats import cpu_seconds, rss_kib
from rig.stack import Rig


def login_once(port):
    with RawImap.connect(port) as s:
        s.greeting()
        _, done = s.login(ALICE)
        if not done.startswith(b"L1 OK"):
            raise RuntimeError(f"login failed: {done!r}")
        s.command("Z1", "LOGOUT")


def run_logins(port, count, threads):
    """count logins spread over `threads` clients; returns the errors."""
    errors = []
    lock = threading.Lock()
    remaining = [count]

    def worker():
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            try:
                login_once(port)
            except Exception as e:  # noqa: BLE001 - every failure is counted
                with lock:
                    errors.append(repr(e))

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return errors


def masked_values(daemon):
    m = re.search(r"^mailbridge_log_masked_values (\S+)$", daemon.metrics(), re.M)
    return float(m.group(1)) if m else float("nan")


def cpu_per_login(daemon, port, logins, threads, windows):
    """Bridge CPU seconds per login, measured over `windows` consecutive windows; their median."""
    values = []
    for _ in range(windows):
        before = cpu_seconds(daemon.pid)
        errors = run_logins(port, logins, threads)
        if errors:
            raise RuntimeError(f"{len(errors)} failed logins: {errors[:3]}")
        values.append((cpu_seconds(daemon.pid) - before) / logins)
    return statistics.median(values), values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=mailbridge_process.BINARY, help="mailbridge binary")
    parser.add_argument("--logins", type=int, default=50000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--token-bytes", type=int, default=2048)
    parser.add_argument("--token-ttl", type=int, default=120, help="access token life, seconds")
    args = parser.parse_args()
    mailbridge_process.BINARY = os.path.abspath(args.bin)

    rig = Rig(access_token_ttl=args.token_ttl, access_token_bytes=args.token_bytes,
              imap_clients_per_process=250)
    daemon = None
    try:
        print("starting the rig ...", flush=True)
        rig.start()
        daemon = imaps_bridge(rig, "mb-churn-", accounts=[account_block(rig, "alice", ALICE)]).start()
        port = daemon.port["imaps"]
        window, windows = 500, 3
        started = time.monotonic()
        errors = run_logins(port, 1000, args.threads)
        rss_first = rss_kib(daemon.pid)
        masked_first = masked_values(daemon)
        cpu_first, first_windows = cpu_per_login(daemon, port, window, args.threads, windows)
        done = 1000 + window * windows
        while done < args.logins - window * windows:
            step = min(5000, args.logins - window * windows - done)
            errors += run_logins(port, step, args.threads)
            done += step
            print(f"  {done} logins, {time.monotonic() - started:.0f} s, RSS "
                  f"{rss_kib(daemon.pid) / 1024:.1f} MB, masked values {masked_values(daemon):.0f}",
                  flush=True)
        cpu_last, last_windows = cpu_per_login(daemon, port, window, args.threads, windows)
        done += window * windows
        rss_last = rss_kib(daemon.pid)
        masked_last = masked_values(daemon)
        token_requests = rig.oauth.token_requests()
        elapsed = time.monotonic() - started
        print()
        print(f"login churn: {done} logins in {elapsed:.0f} s ({done / elapsed:.0f}/s), "
              f"{args.token_bytes}-byte access tokens living {args.token_ttl} s "
              f"({token_requests} token requests), {len(errors)} errors")
        for text in errors[:5]:
            print(f"    {text}")
        print(f"  bridge RSS after 1,000 logins: {rss_first / 1024:.1f} MB, at the end: "
              f"{rss_last / 1024:.1f} MB ({(rss_last - rss_first) / 1024:+.2f} MB; target <= +2 MB)")
        print(f"  masked log values after 1,000 logins: {masked_first:.0f}, at the end: {masked_last:.0f}")
        print(f"  bridge CPU per login, first windows: {cpu_first * 1e3:.3f} ms "
              f"({', '.join(f'{v * 1e3:.3f}' for v in first_windows)}), last windows: "
              f"{cpu_last * 1e3:.3f} ms ({', '.join(f'{v * 1e3:.3f}' for v in last_windows)}); "
              f"last/first {cpu_last / cpu_first:.2f} (target 0.8-1.2)")
        ok = not errors and rss_last - rss_first <= 2048 and 0.8 <= cpu_last / cpu_first <= 1.2
        return 0 if ok else 1
    finally:
        if daemon:
            daemon.stop()
        rig.stop()


if __name__ == "__main__":
    sys.exit(main())
