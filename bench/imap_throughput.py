"""Bulk FETCH throughput: the same `UID FETCH 1:* BODY.PEEK[]` of a large mailbox direct to the
rig's Dovecot (IMAPS + XOAUTH2 token) and through mailbridge (plain IMAP to the bridge, which
relays over TLS), in alternating rounds; prints MB/s for each and the ratio.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_throughput.py --bin build/mailbridge
"""
import statistics

import bench_support
from bench_support import seed_bulk, timed_fetch  # noqa: F401 - importable from here as before
from bridge_fixtures import ALICE, bridge_session, direct_session


def options(parser):
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=50 * 1024, help="bytes per message")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per path (alternating)")


def run(args, bench):
    rig = bench.rig
    total = seed_bulk(rig, ALICE, args.messages, args.size)
    print(f"seeded {args.messages} messages, {total / 1e6:.1f} MB", flush=True)
    daemon = bench.bridge(listeners=["imaps"])
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
    bench_support.report(
        f"bulk FETCH of {args.messages} x {args.size // 1024} KB, {args.rounds} rounds each (median)",
        [("direct to Dovecot (TLS + XOAUTH2)", f"{direct:7.1f} MB/s"),
         ("through mailbridge (plain -> TLS)", f"{bridge:7.1f} MB/s"),
         ("bridge / direct", f"{bridge / direct:7.2f}")])
    return 0


if __name__ == "__main__":
    bench_support.main(__doc__, run, options)
