"""Backpressure with a slow reader: a client asks for one 100 MB message through the bridge, reads
the first megabyte, then stops reading for a while. The bridge must pause the upstream instead of
draining it into memory: this prints the bridge's RSS before, its peak during the stall, the CPU it
used while stalled, and checks that every byte arrives once the client reads again.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_slow_reader.py --bin build/mailbridge
"""
import os
import re
import threading
import time

import bench_support
from bridge_fixtures import ALICE, bridge_session
from process_stats import cpu_seconds, rss_kib


def seed_big(rig, user, size):
    maildir = rig.dovecot.ensure_maildir(user)
    line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-slow-reader-bench\r\n"
    head = (f"From: bench@example.net\r\nTo: <{user}>\r\nSubject: one big message\r\n"
            "Message-ID: <big@bench.test>\r\n\r\n").encode()
    data = head + line * ((size - len(head)) // len(line))
    with open(os.path.join(maildir, "cur", "1700000000.BIG.bench:2,S"), "wb") as f:
        f.write(data)
    rig.dovecot.fix_owner(rig.dovecot.home(user))
    return len(data)


def options(parser):
    parser.add_argument("--size", type=int, default=100 * 1024 * 1024, help="message bytes")
    parser.add_argument("--pause", type=float, default=10.0, help="seconds the client stalls")


def run(args, bench):
    rig = bench.rig
    size = seed_big(rig, ALICE, args.size)
    daemon = bench.bridge(listeners=["imaps"])
    pid = daemon.pid
    session = bridge_session(daemon.port["imaps"])
    _, done = session.command("E1", "EXAMINE INBOX")
    assert done.startswith(b"E1 OK"), done
    time.sleep(0.5)
    baseline = rss_kib(pid)
    session.send(b"F1 FETCH 1 BODY.PEEK[]\r\n")
    header = session.read_line()
    announced = int(re.search(rb"\{(\d+)\}", header).group(1))
    assert announced == size, (announced, size)
    got = len(session.read_exact(1024 * 1024))

    # Stall: sample the bridge's RSS; the upstream must be paused, the loop idle.
    peak = baseline
    cpu_before = cpu_seconds(pid)
    stall_end = time.monotonic() + args.pause
    while time.monotonic() < stall_end:
        peak = max(peak, rss_kib(pid))
        time.sleep(0.1)
    cpu_stalled = cpu_seconds(pid) - cpu_before

    # Resume: everything arrives, byte count exact, then the tagged OK.
    started = time.monotonic()
    sock = session.sock
    got += len(session.buf)
    session.buf = b""
    buf = bytearray(1 << 20)
    sampler_stop = threading.Event()
    peaks = [peak]

    def sample():
        while not sampler_stop.is_set():
            peaks.append(rss_kib(pid))
            time.sleep(0.1)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tail = b""
    while True:
        n = sock.recv_into(buf)
        if n == 0:
            raise ConnectionError("closed during the FETCH")
        got += n
        tail = (tail + bytes(buf[max(0, n - 64):n]))[-64:]
        if tail.endswith(b"\r\n") and b"\r\nF1 OK" in tail:
            break
    sampler_stop.set()
    sampler.join()
    elapsed = time.monotonic() - started
    session.close()
    # Literal + ")\r\n" + the tagged line, less what the tagged line adds.
    assert got >= size, (got, size)
    bench_support.report(
        f"one {size / 1e6:.0f} MB message, client stalled {args.pause:.0f} s after 1 MB",
        [("bridge RSS before the FETCH", f"{baseline / 1024:7.1f} MB"),
         ("bridge RSS peak during the stall",
          f"{peak / 1024:7.1f} MB (+{(peak - baseline) / 1024:.2f} MB)"),
         ("bridge CPU during the stall",
          f"{cpu_stalled * 1000:7.0f} ms ({cpu_stalled / args.pause * 100:.2f} % of one core)"),
         ("bridge RSS peak while draining", f"{max(peaks) / 1024:7.1f} MB"),
         ("rest of the message after resuming",
          f"{(got - 1024 * 1024) / 1e6:7.1f} MB in {elapsed:.2f} s")])
    return 0


if __name__ == "__main__":
    bench_support.main(__doc__, run, options)
