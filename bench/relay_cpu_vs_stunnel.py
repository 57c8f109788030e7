"""Relay CPU per GB: mailbridge against stunnel, side by side in one run, on the same bulk
`UID FETCH 1:* BODY.PEEK[]` from the rig's Dovecot over TLS. stunnel (client mode: plain local
port -> TLS to Dovecot's IMAPS, the certificate verified) carries a client that authenticates with
XOAUTH2 itself; mailbridge (plain local IMAP -> TLS upstream, XOAUTH2 done by the bridge) carries a
client that sends LOGIN. Rounds alternate; each round reads the relay process's CPU time (user +
system, in nanoseconds: the sum of /proc/PID/task/*/schedstat, whose threads all live through the
measurement) before and after its FETCHes and divides by the bytes the client received. Prints
CPU seconds per GB for each, the median ratio bridge / stunnel (target <= 0.70), its spread over
the rounds, and the login latency (connect -> tagged OK) through each.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/relay_cpu_vs_stunnel.py --bin build/mailbridge
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import mailbridge_process
from bridge_fixtures import ALICE, LOCAL_PASSWORD, RawImap, imaps_bridge
from bench_support import seed_bulk, timed_fetch
from rig.ports import free_port, wait_listen
from rig.process import Proc
from rig.stack import Rig


def start_stunnel(rig, directory):
    """stunnel in the foreground, client mode, one service: 127.0.0.1:PORT -> Dovecot IMAPS."""
    binary = shutil.which("stunnel4") or shutil.which("stunnel")
    if binary is None:
        raise SystemExit("stunnel is not installed (Debian package stunnel4; see scripts/install-deps)")
    port = free_port()
    config = os.path.join(directory, "stunnel.conf")
    with open(config, "w") as f:
        f.write(f"""foreground = yes
pid =
debug = 3
[imaps]
client = yes
accept = 127.0.0.1:{port}
connect = 127.0.0.1:{rig.dovecot.ports["imaps"]}
verifyChain = yes
CAfile = {rig.pki.ca_cert}
checkIP = 127.0.0.1
""")
    proc = Proc("stunnel", [binary, config], os.path.join(directory, "stunnel.log"))
    proc.start()
    wait_listen(port, proc=proc)
    return proc, port


def cpu_seconds(pid):
    """CPU time of every thread of pid, to the nanosecond (/proc/PID/stat counts 10 ms ticks)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total / 1e9


def stunnel_login(port, token):
    """Logged-in session through stunnel (the client does XOAUTH2) and the seconds it took."""
    started = time.perf_counter()
    s = RawImap.connect(port)
    assert s.greeting().startswith(b"* OK")
    _, done = s.authenticate_xoauth2(ALICE, token)
    elapsed = time.perf_counter() - started
    assert done.startswith(b"A1 OK"), done
    return s, elapsed


def bridge_login(port):
    """Logged-in session through mailbridge (LOGIN with the local password) and the seconds it took."""
    started = time.perf_counter()
    s = RawImap.connect(port)
    assert s.greeting().startswith(b"* OK")
    _, done = s.login(ALICE, LOCAL_PASSWORD)
    elapsed = time.perf_counter() - started
    assert done.startswith(b"L1 OK"), done
    return s, elapsed


def spread(values):
    return f"min {min(values):.3f}, max {max(values):.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=mailbridge_process.BINARY, help="mailbridge binary")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=100 * 1024, help="bytes per message")
    parser.add_argument("--rounds", type=int, default=8, help="rounds per relay (alternating)")
    parser.add_argument("--fetches", type=int, default=2, help="FETCHes per relay in a round")
    parser.add_argument("--logins", type=int, default=20, help="extra timed logins per relay")
    args = parser.parse_args()
    mailbridge_process.BINARY = os.path.abspath(args.bin)

    rig = Rig()
    daemon = stunnel = None
    directory = tempfile.mkdtemp(prefix="mb-bench-stunnel-")
    try:
        print("starting the rig ...", flush=True)
        rig.start()
        total = seed_bulk(rig, ALICE, args.messages, args.size)
        print(f"seeded {args.messages} messages, {total / 1e6:.1f} MB", flush=True)
        daemon = imaps_bridge(rig).start()
        stunnel, stunnel_port = start_stunnel(rig, directory)
        relays = {"stunnel": (stunnel.pid, lambda: stunnel_login(stunnel_port, token)),
                  "bridge": (daemon.pid, lambda: bridge_login(daemon.port["imaps"]))}

        token = rig.oauth.cc_token(ALICE)
        warm, _ = relays["stunnel"][1]()  # let Dovecot build its index before anything is timed
        timed_fetch(warm)
        warm.close()

        cpu_per_gb = {name: [] for name in relays}
        logins = {name: [] for name in relays}
        ratios = []
        for r in range(args.rounds):
            order = ("stunnel", "bridge") if r % 2 == 0 else ("bridge", "stunnel")
            for name in order:
                pid, login = relays[name]
                session, login_seconds = login()
                logins[name].append(login_seconds)
                elapsed = received = 0
                try:
                    before = cpu_seconds(pid)
                    for _ in range(args.fetches):
                        seconds, n = timed_fetch(session)
                        elapsed += seconds
                        received += n
                    used = cpu_seconds(pid) - before
                finally:
                    session.close()
                per_gb = used / (received / 1e9)
                cpu_per_gb[name].append(per_gb)
                print(f"round {r + 1} {name:7}: {received / 1e6:7.1f} MB in {elapsed:5.2f} s, "
                      f"relay CPU {used:5.2f} s = {per_gb:5.2f} CPU s/GB", flush=True)
            ratios.append(cpu_per_gb["bridge"][-1] / cpu_per_gb["stunnel"][-1])

        for _ in range(args.logins):
            for name in relays:
                session, login_seconds = relays[name][1]()
                logins[name].append(login_seconds)
                session.command("Z1", "LOGOUT")
                session.close()

        med = {name: statistics.median(v) for name, v in cpu_per_gb.items()}
        lat = {name: statistics.median(v) * 1e3 for name, v in logins.items()}
        print()
        print(f"bulk FETCH of {args.messages} x {args.size // 1024} KB, {args.fetches} per round, "
              f"{args.rounds} rounds each (median):")
        print(f"  stunnel    relay CPU: {med['stunnel']:6.2f} s/GB ({spread(cpu_per_gb['stunnel'])})")
        print(f"  mailbridge relay CPU: {med['bridge']:6.2f} s/GB ({spread(cpu_per_gb['bridge'])})")
        print(f"  bridge / stunnel:     {statistics.median(ratios):6.3f} (per round {spread(ratios)}; "
              f"ratio of medians {med['bridge'] / med['stunnel']:.3f}; target <= 0.70)")
        print(f"login latency, connect -> tagged OK, {len(logins['bridge'])} each (median):")
        print(f"  through stunnel (client does XOAUTH2): {lat['stunnel']:6.2f} ms")
        print(f"  through mailbridge (LOGIN):            {lat['bridge']:6.2f} ms")
        return 0
    finally:
        if stunnel:
            stunnel.stop()
        if daemon:
            daemon.stop()
        rig.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
