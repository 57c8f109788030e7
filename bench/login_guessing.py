"""Password guessing against the bridge: 1,000 wrong local passwords from one address (127.0.0.1,
20 connections at a time) while a legitimate client on another address (127.0.0.2) keeps logging
in. A counting TCP forwarder sits between the bridge and Dovecot. Prints what the guesses cost the
upstream (target: nothing beyond the legitimate logins' own connections), how many guesses were
checked at all, and the legitimate login latency before and during the attack (target: the same).

    PYTHONPATH=tests/integration /usr/bin/python3 bench/login_guessing.py --bin build/mailbridge
"""
import socket
import statistics
import threading
import time

import bench_support
from bridge_fixtures import ALICE, BOB, TIMEOUT, RawImap, account_block
from rig.tcp_forwarder import TcpForwarder


def connect(port, source):
    s = RawImap(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT,
                                         source_address=(source, 0)))
    s.greeting()
    return s


def legit_login(port):
    started = time.monotonic()
    with connect(port, "127.0.0.2") as s:
        _, done = s.login(ALICE)
        if not done.startswith(b"L1 OK"):
            raise RuntimeError(f"legitimate login failed: {done!r}")
        elapsed = time.monotonic() - started
        s.command("Z", "LOGOUT")
    return elapsed


def attacker(port, budget, lock, outcome, interval):
    s = None
    next_at = time.monotonic()
    while True:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
        try:
            if s is None:
                s = connect(port, "127.0.0.1")
            _, done = s.login(BOB, "guess-" + str(budget[0]))
            with lock:
                key = "checked" if b"wrong local password" in done else (
                    "refused" if b"too many failed logins" in done else "other")
                outcome[key] = outcome.get(key, 0) + 1
        except (OSError, ConnectionError):
            with lock:
                outcome["connection closed"] = outcome.get("connection closed", 0) + 1
            s = None
            continue
        # after its third failure the bridge says goodbye and closes: start over
        try:
            s.sock.settimeout(0.001)
            if s.sock.recv(200, socket.MSG_PEEK).startswith(b"* BYE"):
                s.close()
                s = None
            else:
                s.sock.settimeout(TIMEOUT)
        except (BlockingIOError, socket.timeout):
            s.sock.settimeout(TIMEOUT)
        except OSError:
            s = None
    if s:
        s.close()


def options(parser):
    parser.add_argument("--guesses", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100.0, help="guesses per second in all")
    parser.add_argument("--logins", type=int, default=100, help="legitimate logins per phase")


def run(args, bench):
    rig = bench.rig
    forwarder = bench.stop_at_end(TcpForwarder(rig.dovecot.ports["imaps"]).start())
    daemon = bench.bridge(listeners=[],
                          extra_servers=[("imaps", forwarder.port, "implicit", rig.pki.ca_cert)],
                          accounts=[account_block(rig, "alice", ALICE), account_block(rig, "bob", BOB)],
                          failed_login_block_max=30)
    port = daemon.port["imaps"]
    legit_login(port)  # token fetched and cached
    before = [legit_login(port) for _ in range(args.logins)]

    upstream_before = forwarder.counts()
    budget, lock, outcome = [args.guesses], threading.Lock(), {}
    interval = args.connections / args.rate
    attackers = [threading.Thread(target=attacker, args=(port, budget, lock, outcome, interval),
                                  daemon=True) for _ in range(args.connections)]
    started = time.monotonic()
    for t in attackers:
        t.start()
    during = []
    while any(t.is_alive() for t in attackers):
        during.append(legit_login(port))
    for t in attackers:
        t.join()
    attack_seconds = time.monotonic() - started
    upstream_after = forwarder.counts()
    attack_connections = upstream_after["connections"] - upstream_before["connections"] - len(during)

    b, d = statistics.median(before), statistics.median(during) if during else float("nan")
    bench_support.report(
        f"guessing: {args.guesses} wrong passwords for {BOB} from 127.0.0.1 over "
        f"{args.connections} connections at a time ({args.rate:g}/s), in {attack_seconds:.1f} s",
        [("answers", f"{outcome.get('checked', 0)} checked (wrong password), "
                     f"{outcome.get('refused', 0)} refused unchecked (address blocked), "
                     f"{outcome.get('other', 0)} other, {outcome.get('connection closed', 0)} sent "
                     f"on a connection the bridge had closed after 3 failures"),
         ("upstream connections caused by the guesses",
          f"{attack_connections} (forwarder: "
          f"{upstream_after['connections'] - upstream_before['connections']} in all, "
          f"{len(during)} of them the legitimate logins')"),
         ("legitimate logins from 127.0.0.2",
          f"median {b * 1e3:.1f} ms before ({len(before)}), {d * 1e3:.1f} ms during the attack "
          f"({len(during)}); ratio {d / b:.2f}")])
    daemon.assert_alive("the guessing attack")
    # Before the first wrong password the address is clean: its first connections may dial
    # early (at most 8 per address at a time); after it, none.
    return 0 if attack_connections <= 8 else 1


if __name__ == "__main__":
    bench_support.main(__doc__, run, options)
