"""Submission throughput: N messages of SIZE bytes over C parallel connections, sent direct to the
rig's Dovecot submission (implicit TLS + XOAUTH2 token) and through mailbridge (plain SMTP with
AUTH PLAIN to the bridge, which relays over TLS); Dovecot relays each to the rig's sink. Prints
messages/s and MB/s for each path and the bridge/direct ratio.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/smtp_throughput.py --bin build/mailbridge
"""
import base64
import os
import smtplib
import threading
import time

import bench_support
from bridge_fixtures import ALICE, BOB, LOCAL_PASSWORD
from rig import clients


def make_message(i, size):
    head = (f"From: <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: bench {i}\r\n"
            f"Message-ID: <bench-{i}-{os.urandom(4).hex()}@bench.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode()
    raw = max(0, (size - len(head)) * 3 // 4 - 1500)
    return head + base64.encodebytes(os.urandom(raw)).replace(b"\n", b"\r\n")


def direct_connection(rig):
    s = clients.smtp_connect(rig.dovecot.ports["submissions"], rig.pki.ca_cert, implicit_tls=True)
    code, msg = clients.smtp_xoauth2(s, ALICE, rig.oauth.cc_token(ALICE))
    assert code == 235, msg
    return s


def bridge_connection(port):
    s = smtplib.SMTP("127.0.0.1", port, timeout=120)
    s.login(ALICE, LOCAL_PASSWORD)
    return s


def run(connect, messages, connections):
    """Sends `messages` over `connections` parallel sessions; returns elapsed seconds."""
    sessions = [connect() for _ in range(connections)]
    errors = []

    def worker(session, share):
        try:
            for m in share:
                assert session.sendmail(ALICE, [BOB], m) == {}
        except Exception as error:  # reported after the join
            errors.append(error)

    shares = [messages[k::connections] for k in range(connections)]
    threads = [threading.Thread(target=worker, args=(s, share)) for s, share in zip(sessions, shares)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for s in sessions:
        s.quit()
    if errors:
        raise errors[0]
    return elapsed


def options(parser):
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--size", type=int, default=100 * 1024, help="bytes per message")
    parser.add_argument("--connections", type=int, default=4)


def run_bench(args, bench):
    rig = bench.rig
    port = bench.bridge(protocol="smtp", listeners=["submissions"]).port["submissions"]
    messages = [make_message(i, args.size) for i in range(args.messages)]
    total = sum(len(m) for m in messages)
    print(f"{args.messages} messages, {total / 1e6:.1f} MB, {args.connections} connections",
          flush=True)
    results = {}
    for path in ("direct", "bridge", "direct", "bridge"):
        connect = (lambda: direct_connection(rig)) if path == "direct" else \
            (lambda: bridge_connection(port))
        elapsed = run(connect, messages, args.connections)
        results.setdefault(path, []).append(elapsed)
        rig.sink.clear()
        print(f"{path:6}: {elapsed:6.2f} s = {args.messages / elapsed:7.1f} msg/s, "
              f"{total / elapsed / 1e6:6.1f} MB/s", flush=True)
    direct, bridge = (min(results[p]) for p in ("direct", "bridge"))
    bench_support.report(
        f"{args.messages} x {args.size // 1024} KB over {args.connections} connections (best of 2 each)",
        [("direct to Dovecot (TLS + XOAUTH2)", f"{args.messages / direct:7.1f} msg/s"),
         ("through mailbridge (plain -> TLS)", f"{args.messages / bridge:7.1f} msg/s"),
         ("bridge / direct throughput", f"{direct / bridge:7.2f}")])
    return 0


if __name__ == "__main__":
    bench_support.main(__doc__, run_bench, options)
