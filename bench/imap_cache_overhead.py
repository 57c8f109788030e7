"""Cost of the metadata cache on the IMAP relay: the same FETCH through two bridges on one rig, one
caching (the default) and one started with MAILBRIDGE_NO_CACHE=1 (a hidden switch read by the
daemon's cache service, for this benchmark only), in alternating rounds. Workloads:

  bulk      `UID FETCH 1:* BODY.PEEK[]` (literal bodies the observer frames and skips)
  metadata  `UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)`, --repeat times per round
            in one session (after the first, the cache already holds what they say)
  flags     `UID FETCH 1:* (UID FLAGS)`, 10 x --repeat times per round (what a syncing client
            polls; its responses are ~35 bytes, so this is the per-response cost)
  cold      the metadata FETCH once, into an empty cache: both bridges are restarted with a fresh
            state directory before every round, so every response becomes a row written

Prints per round MB/s and the bridge process's CPU time per MB, of the event-loop thread (what the
observer costs the relay) and of the whole process (the cache writer's SQLite work included); then
medians, the caching/off ratios and the median of each round's ratio (both bridges run back to
back in a round, so that one is not moved by the machine's drift). Throughput target:
caching/off >= 0.95. On a shared machine wall-clock rates vary by tens of percent between rounds;
CPU times are counted in 10 ms ticks, so the CPU per MB of short rounds (cold) is coarse.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_cache_overhead.py --bin build/mailbridge
"""
import os
import statistics

import bench_support
from bench_support import seed_bulk, timed_fetch
from bridge_fixtures import ALICE, bridge_session, direct_session
from process_stats import cpu_seconds

METADATA = "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"
WORKLOADS = {
    "bulk": "UID FETCH 1:* BODY.PEEK[]",
    "metadata": METADATA,
    "flags": "UID FETCH 1:* (UID FLAGS)",
    "cold": METADATA,
}
REPEATS = {"metadata": 1, "flags": 10}  # times --repeat


def start_bridge(bench, cache):
    env = None if cache else {**os.environ, "MAILBRIDGE_NO_CACHE": "1"}
    daemon = bench.bridge(listeners=["imaps"], env=env)
    wanted = "metadata cache: " + ("off (MAILBRIDGE_NO_CACHE=1)" if not cache else "")
    daemon.process.wait_for_log(wanted)
    return daemon


def options(parser):
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=50 * 1024, help="bytes per message")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per bridge and workload")
    parser.add_argument("--repeat", type=int, default=20,
                        help="metadata FETCHes per round (flags: ten times as many)")
    parser.add_argument("--workloads", default="bulk,metadata,flags,cold",
                        help="comma-separated subset of " + ",".join(WORKLOADS))


def run(args, bench):
    rig = bench.rig
    bridges = {}
    total = seed_bulk(rig, ALICE, args.messages, args.size)
    print(f"seeded {args.messages} messages, {total / 1e6:.1f} MB", flush=True)
    bridges["caching"] = start_bridge(bench, cache=True)
    bridges["off"] = start_bridge(bench, cache=False)
    warm = direct_session(rig)  # let Dovecot build its index before anything is timed
    timed_fetch(warm, WORKLOADS["bulk"], open_mailbox="SELECT INBOX")
    warm.close()

    medians = {}
    for workload in args.workloads.split(","):
        command = WORKLOADS[workload]
        repeat = args.repeat * REPEATS.get(workload, 0) or 1
        rates = {"caching": [], "off": []}
        cpu = {"caching": [], "off": []}
        loop_cpu = {"caching": [], "off": []}
        for r in range(args.rounds):
            if workload == "cold":
                for name in ("caching", "off"):
                    bridges.pop(name).stop()
                    bridges[name] = start_bridge(bench, cache=name == "caching")
            for name in ("caching", "off") if r % 2 == 0 else ("off", "caching"):
                session = bridge_session(bridges[name].port["imaps"])
                pid = bridges[name].pid
                try:
                    cpu_before = cpu_seconds(pid)
                    loop_before = cpu_seconds(pid, pid)
                    elapsed, received = timed_fetch(session, command, open_mailbox="SELECT INBOX")
                    for _ in range(repeat - 1):
                        more_elapsed, more_received = timed_fetch(session, command, open_mailbox=None)
                        elapsed += more_elapsed
                        received += more_received
                    used = cpu_seconds(pid) - cpu_before
                    loop_used = cpu_seconds(pid, pid) - loop_before
                finally:
                    session.close()
                rate = received / elapsed / 1e6
                rates[name].append(rate)
                cpu[name].append(used * 1e3 / (received / 1e6))
                loop_cpu[name].append(loop_used * 1e3 / (received / 1e6))
                print(f"{workload:8} round {r + 1} {name:7}: {received / 1e6:7.1f} MB in "
                      f"{elapsed:6.2f} s = {rate:7.1f} MB/s, bridge CPU {used:5.2f} s "
                      f"(loop thread {loop_used:5.2f} s)",
                      flush=True)
        medians[workload] = {
            "rate": {name: statistics.median(v) for name, v in rates.items()},
            "cpu": {name: statistics.median(v) for name, v in cpu.items()},
            "loop": {name: statistics.median(v) for name, v in loop_cpu.items()},
            # Each round runs both bridges back to back: the median of the per-round ratios
            # is not moved by the machine getting slower or faster between rounds.
            "paired": statistics.median(c / o for c, o in zip(rates["caching"], rates["off"])),
        }

    print()
    print(f"{args.messages} messages x {args.size // 1024} KB, {args.rounds} rounds each (median):")
    for workload, m in medians.items():
        rate = m["rate"]
        print(f"  {workload:8}: caching {rate['caching']:7.1f} MB/s, off {rate['off']:7.1f} MB/s,"
              f" caching / off {rate['caching'] / rate['off']:5.2f}"
              f" (median of the rounds' ratios {m['paired']:5.2f})")
        for label, key in (("loop-thread CPU", "loop"), ("process CPU", "cpu")):
            cpu = m[key]
            ratio = cpu["caching"] / cpu["off"] if cpu["off"] else float("nan")
            print(f"  {'':8}  {label} per MB: caching {cpu['caching']:6.1f} ms, "
                  f"off {cpu['off']:6.1f} ms, caching / off {ratio:5.2f}")
    return 0


if __name__ == "__main__":
    bench_support.main(__doc__, run, options)
