"""Many short logins with realistic tokens: 50,000 IMAP logins (connect, LOGIN, LOGOUT) through the
bridge while the rig issues 2 KB JWT-sized access tokens that expire every few minutes. Prints the
bridge's RSS after the first 1,000 logins and at the end (target: at most 2 MB more), the log's
count of masked values (flat), and the bridge's CPU time per login in the first and the last
windows (target: equal within 20 %: a log line costs the same after 50,000 logins).

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_login_churn.py --bin build/mailbridge
"""
import statistics
import threading
import time

import bench_support
from bridge_fixtures import ALICE, RawImap
from process_stats import cpu_seconds, rss_kib


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
    value = daemon.metric("mailbridge_log_masked_values")
    return float("nan") if value is None else value


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


def options(parser):
    parser.add_argument("--logins", type=int, default=50000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--token-bytes", type=int, default=2048)
    parser.add_argument("--token-ttl", type=int, default=120, help="access token life, seconds")


def rig_options(args):
    return {"access_token_ttl": args.token_ttl, "access_token_bytes": args.token_bytes,
            "imap_clients_per_process": 250}


def run(args, bench):
    rig = bench.rig
    daemon = bench.bridge(listeners=["imaps"])
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
    rows = [("", f"  {text}") for text in errors[:5]]
    rows += [("bridge RSS after 1,000 logins", f"{rss_first / 1024:.1f} MB"),
             ("bridge RSS at the end", f"{rss_last / 1024:.1f} MB "
                                       f"({(rss_last - rss_first) / 1024:+.2f} MB; target <= +2 MB)"),
             ("masked log values after 1,000 logins", f"{masked_first:.0f}"),
             ("masked log values at the end", f"{masked_last:.0f}"),
             ("bridge CPU per login, first windows",
              f"{cpu_first * 1e3:.3f} ms ({', '.join(f'{v * 1e3:.3f}' for v in first_windows)})"),
             ("bridge CPU per login, last windows",
              f"{cpu_last * 1e3:.3f} ms ({', '.join(f'{v * 1e3:.3f}' for v in last_windows)})"),
             ("last / first", f"{cpu_last / cpu_first:.2f} (target 0.8-1.2)")]
    bench_support.report(f"login churn: {done} logins in {elapsed:.0f} s ({done / elapsed:.0f}/s), "
                         f"{args.token_bytes}-byte access tokens living {args.token_ttl} s "
                         f"({token_requests} token requests), {len(errors)} errors", rows)
    ok = not errors and rss_last - rss_first <= 2048 and 0.8 <= cpu_last / cpu_first <= 1.2
    return 0 if ok else 1


if __name__ == "__main__":
    bench_support.main(__doc__, run, options, rig_options)
