"""Bulk FETCH throughput: the same `UID FETCH 1:* BODY.PEEK[]` of a large mailbox direct to the
rig's Dovecot (IMAPS + XOAUTH2 token) and through mailbridge (plain IMAP to the bridge, which
relays over TLS), in alternating rounds; prints MB/s for each and the ratio.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_throughput.py --bin build/mailbridge
"""
import argparse
import base64
import os
import statistics
import sys
import time

import mailbridge_process
from bridge_fixtures import ALICE, bridge_session, direct_session, imaps_bridge
from rig.stack import Rig


def seed_bulk(rig, user, count, size):
    """Write `count` messages of about `size` bytes (base64 of random bytes) into user's INBOX."""
    maildir = rig.dovecot.ensure_maildir(user)
    raw_size = max(0, (size - 400) * 3 // 4)
    total = 0
    for i in range(count):
        body = base64.encodebytes(os.urandom(raw_size)).replace(b"\n", b"\r\n")
        data = (f"From: bench{i}@example.net\r\nTo: <{user}>\r\nSubject: bulk {i}\r\n"
                f"Message-ID: <bulk-{i}@bench.test>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                "MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n").encode() + body
        name = f"{1700000000 + i}.B{i:06d}.bench:2,S"
        with open(os.path.join(maildir, "cur", name), "wb") as f:
            f.write(data)
        total += len(data)
    rig.dovecot.fix_owner(rig.dovecot.home(user))
    return total


def timed_fetch(session):
    """Seconds and bytes for one bulk FETCH on a logged-in RawImap (read in big chunks: the
    payload is base64, so the tagged completion can only appear at the very end)."""
    _, done = session.command("E1", "EXAMINE INBOX")
    assert done.startswith(b"E1 OK"), done
    sock = session.sock
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    received = 0
    tail = b""
    started = time.perf_counter()
    sock.sendall(b"F1 UID FETCH 1:* BODY.PEEK[]\r\n")
    while True:
        n = sock.recv_into(view)
        if n == 0:
            raise ConnectionError("closed during FETCH")
        received += n
        tail = (tail + bytes(view[max(0, n - 256):n]))[-256:]
        if b"\r\nF1 " in tail and tail.endswith(b"\r\n"):
            line = tail[tail.rindex(b"\r\nF1 ") + 2:]
            if line.count(b"\r\n") == 1:
                break
    elapsed = time.perf_counter() - started
    assert line.startswith(b"F1 OK"), line
    return elapsed, received


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=mailbridge_process.BINARY, help="mailbridge binary")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=50 * 1024, help="bytes per message")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per path (alternating)")
    args = parser.parse_args()
    mailbridge_process.BINARY = os.path.abspath(args.bin)

    rig = Rig()
    daemon = None
    try:
        print("starting the rig ...", flush=True)
        rig.start()
        total = seed_bulk(rig, ALICE, args.messages, args.size)
        print(f"seeded {args.messages} messages, {total / 1e6:.1f} MB", flush=True)
        daemon = imaps_bridge(rig).start()
        warm = direct_session(rig)  # let Dovecot build its index before anything is timed
        timed_fetch(warm)
        warm.close()

        results = {"direct": [], "bridge": []}
        for r in range(args.rounds):
            for path in ("direct", "bridge") if r % 2 == 0 else ("bridge", "direct"):
                session = direct_session(rig) if path == "direct" else bridge_session(daemon.port["imaps"])
                try:
                    elapsed, received = timed_fetch(session)
                finally:
                    session.close()
                rate = received / elapsed / 1e6
                results[path].append(rate)
                print(f"round {r + 1} {path:6}: {received / 1e6:7.1f} MB in {elapsed:6.2f} s = "
                      f"{rate:7.1f} MB/s", flush=True)
        direct, bridge = (statistics.median(results[p]) for p in ("direct", "bridge"))
        print()
        print(f"bulk FETCH of {args.messages} x {args.size // 1024} KB, {args.rounds} rounds each (median):")
        print(f"  direct to Dovecot (TLS + XOAUTH2): {direct:7.1f} MB/s")
        print(f"  through mailbridge (plain -> TLS): {bridge:7.1f} MB/s")
        print(f"  bridge / direct:                   {bridge / direct:7.2f}")
        return 0
    finally:
        if daemon:
            daemon.stop()
        rig.stop()


if __name__ == "__main__":
    sys.exit(main())
