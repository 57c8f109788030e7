"""Login latency: sequential logins (connect -> tagged OK) through mailbridge with a cached token
(plain LOGIN to the bridge, which connects upstream over TLS and authenticates with the token)
against logging in direct to the rig's Dovecot (TLS handshake + AUTHENTICATE XOAUTH2 with a token
fetched beforehand); prints medians, 90th percentiles and the ratio.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_login_latency.py --bin build/mailbridge
"""
import statistics
import time

import bench_support
from bridge_fixtures import ALICE, LOCAL_PASSWORD, RawImap, bridge_session


def bridge_login(port):
    started = time.perf_counter()
    s = RawImap.connect(port)
    try:
        s.greeting()
        _, done = s.login(ALICE, LOCAL_PASSWORD)
        elapsed = time.perf_counter() - started
        assert done.startswith(b"L1 OK"), done
        s.command("Z1", "LOGOUT")
    finally:
        s.close()
    return elapsed


def direct_login(rig, token):
    started = time.perf_counter()
    s = RawImap.connect_tls(rig.dovecot.ports["imaps"], rig.pki.ca_cert)
    try:
        s.greeting()
        _, done = s.authenticate_xoauth2(ALICE, token)
        elapsed = time.perf_counter() - started
        assert done.startswith(b"A1 OK"), done
        s.command("Z1", "LOGOUT")
    finally:
        s.close()
    return elapsed


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def options(parser):
    parser.add_argument("--logins", type=int, default=50, help="logins per path")


def run(args, bench):
    rig = bench.rig
    port = bench.bridge(listeners=["imaps"]).port["imaps"]
    token = rig.oauth.cc_token(ALICE)
    bridge_session(port).close()  # the bridge fetches and caches its token here
    direct_login(rig, token)
    rig.oauth.reset_stats()
    times = {"direct": [], "bridge": []}
    for i in range(args.logins):  # interleaved, so both paths see the same machine load
        times["direct"].append(direct_login(rig, token))
        times["bridge"].append(bridge_login(port))
    token_requests = rig.oauth.token_requests()
    ms = {p: [t * 1000 for t in v] for p, v in times.items()}
    rows = [("", f"{'median':>8} {'p90':>8} {'min':>8} {'max':>8}")]
    for path, label in (("direct", "direct (TLS + XOAUTH2 token)"),
                        ("bridge", "through mailbridge (LOGIN)")):
        v = ms[path]
        rows.append((label, f"{statistics.median(v):8.2f} {percentile(v, 90):8.2f} "
                            f"{min(v):8.2f} {max(v):8.2f}"))
    ratio = statistics.median(ms["bridge"]) / statistics.median(ms["direct"])
    rows.append(("bridge / direct (medians)", f"{ratio:.2f}"))
    rows.append(("token requests during the timed logins",
                 f"{token_requests} (the bridge's token is cached)"))
    bench_support.report(f"{args.logins} sequential logins each (connect -> tagged OK), milliseconds",
                         rows)
    return 0


if __name__ == "__main__":
    bench_support.main(__doc__, run, options)
