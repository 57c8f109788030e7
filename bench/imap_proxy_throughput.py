"""Bulk FETCH throughput through the rig's squid with Digest proxy auth: the same
`UID FETCH 1:* BODY.PEEK[]` direct to Dovecot through squid (CONNECT + Digest, TLS, XOAUTH2) and
through mailbridge (plain IMAP to the bridge, which tunnels through squid), in alternating rounds;
prints MB/s for each and the ratio.

    PYTHONPATH=tests/integration /usr/bin/python3 bench/imap_proxy_throughput.py --bin build/mailbridge
"""
import statistics

import bench_support
from bench_support import seed_bulk, timed_fetch
from bridge_fixtures import ALICE, RawImap, bridge_session
from rig import clients
from test_proxy import PROXY_PASSWORD, PROXY_USER, proxied_bridge, proxy_block


def direct_through_squid(rig):
    """RawImap logged in to Dovecot's IMAPS through squid's Digest CONNECT, with a fresh token."""
    status, sock, _ = clients.proxy_connect(rig.squid_digest.port, rig.dovecot.ports["imaps"],
                                            PROXY_USER, PROXY_PASSWORD)
    assert status == 200, status
    tls = clients.ssl_context(rig.pki.ca_cert).wrap_socket(sock, server_hostname="127.0.0.1")
    session = RawImap(tls)
    assert session.greeting().startswith(b"* OK")
    _, done = session.authenticate_xoauth2(ALICE, rig.oauth.cc_token(ALICE))
    assert done.startswith(b"A1 OK"), done
    return session


def options(parser):
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=50 * 1024, help="bytes per message")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per path (alternating)")


def run(args, bench):
    rig = bench.rig
    total = seed_bulk(rig, ALICE, args.messages, args.size)
    print(f"seeded {args.messages} messages, {total / 1e6:.1f} MB", flush=True)
    proxy = proxy_block("corp", f"http://127.0.0.1:{rig.squid_digest.port}", "digest")
    port = bench.start(proxied_bridge(rig, bench.directory(), proxy)).port["proxied"]
    warm = direct_through_squid(rig)  # let Dovecot build its index before timing
    timed_fetch(warm)
    warm.close()
    results = {"direct": [], "bridge": []}
    for r in range(args.rounds):
        for path in ("direct", "bridge") if r % 2 == 0 else ("bridge", "direct"):
            session = direct_through_squid(rig) if path == "direct" else bridge_session(port)
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
        f"bulk FETCH through squid Digest, {args.messages} x {args.size // 1024} KB, "
        f"{args.rounds} rounds each (median)",
        [("direct through squid (TLS + XOAUTH2)", f"{direct:7.1f} MB/s"),
         ("through mailbridge + squid", f"{bridge:7.1f} MB/s"),
         ("bridge / direct", f"{bridge / direct:7.2f}")])
    return 0


if __name__ == "__main__":
    bench_support.main(__doc__, run, options)
