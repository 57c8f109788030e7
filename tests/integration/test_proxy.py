"""Upstream IMAP through the rig's real squid proxies: Digest (squid_digest), Basic with STARTTLS,
Basic over an https:// proxy (TLS to squid itself), a wrong proxy password, a strict auth mode the
proxy does not offer, an unreachable proxy, and no_proxy bypassing a dead proxy. Each check logs in through the bridge
and FETCHes, and reads squid's access.log to prove the tunnel was used."""
import json
import poplib
import re
import smtplib
import time
import uuid

import pytest

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, TIMEOUT, BridgeDaemon, Listener, RawImap,
                             account_block, assert_tagged, bridge_session, closed_port, wait_until)

PROXY_USER, PROXY_PASSWORD = "proxyuser", "proxy-pass-1"


def proxy_block(name, url, auth, password=PROXY_PASSWORD, ca_file="", no_proxy=("localhost",)):
    entries = ", ".join(f'"{h}"' for h in no_proxy)
    return f"""
[[proxy]]
name = "{name}"
url = "{url}"
auth = "{auth}"
username = "{PROXY_USER}"
password = "{password}"
ca_file = "{ca_file}"
no_proxy = [{entries}]
"""


def proxied_bridge(rig, directory, proxy_text, upstream_tls="implicit", connect_timeout=10,
                   token_through_proxy=False, protocol="imap"):
    """A BridgeDaemon (started by `with`) with one listener 'proxied' of `protocol` going to the
    rig's Dovecot through the [[proxy]] corp of `proxy_text`."""
    implicit, starttls = {"imap": ("imaps", "imap"), "pop3": ("pop3s", "pop3"),
                          "smtp": ("submissions", "submission")}[protocol]
    upstream_port = rig.dovecot.ports[implicit if upstream_tls == "implicit" else starttls]
    # The OAuth2 calls use the server's proxy too, and the rig's squid only allows CONNECT: the
    # token endpoint is named "localhost" and listed in no_proxy, the upstream stays 127.0.0.1
    # and goes through the proxy.
    token_endpoint = rig.oauth.token_endpoint
    if not token_through_proxy:
        token_endpoint = token_endpoint.replace("127.0.0.1", "localhost")
    return BridgeDaemon(directory, [Listener("proxied", upstream_port, upstream_tls, rig.pki.ca_cert,
                                             protocol=protocol, proxy="corp")],
                        [account_block(rig, "alice", ALICE, token_endpoint=token_endpoint)],
                        proxies=[proxy_text], log_level=4, connect_timeout=connect_timeout)


def login_and_fetch(port):
    """LOGIN through the bridge, SELECT INBOX and FETCH one message's header; returns the bytes."""
    s = bridge_session(port)
    try:
        _, done = s.command("S1", "SELECT INBOX")
        assert_tagged(done, "S1", "OK")
        untagged, done = s.command("F1", "FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert_tagged(done, "F1", "OK")
        assert b"* 1 FETCH" in untagged
        s.command("Z1", "LOGOUT")
        return untagged
    finally:
        s.close()


def tunnel_lines(squid, upstream_port):
    """access.log lines of CONNECT tunnels to the rig's Dovecot by the proxy user."""
    pattern = rf"CONNECT 127\.0\.0\.1:{upstream_port} {PROXY_USER} "
    return [l for l in squid.access_lines(wait_for=pattern) if re.search(pattern, l)]


def test_imap_through_squid_with_digest(rig, tmp_path):
    squid = rig.squid_digest
    before = len(tunnel_lines(squid, rig.dovecot.ports["imaps"]))
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest")
    with proxied_bridge(rig, tmp_path / "digest", proxy) as bridge:
        login_and_fetch(bridge.port["proxied"])
    lines = tunnel_lines(squid, rig.dovecot.ports["imaps"])
    assert len(lines) > before, "squid logged no authenticated CONNECT to Dovecot"
    assert any(" 200 " in l or "/200 " in l for l in lines[before:]), lines[before:]


def test_imap_starttls_through_squid_with_basic_and_any(rig, tmp_path):
    squid = rig.squid_basic
    before = len(tunnel_lines(squid, rig.dovecot.ports["imap"]))
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "any")
    with proxied_bridge(rig, tmp_path / "basic", proxy, upstream_tls="starttls") as bridge:
        login_and_fetch(bridge.port["proxied"])
    assert len(tunnel_lines(squid, rig.dovecot.ports["imap"])) > before


def test_imap_through_an_https_proxy(rig, tmp_path):
    squid = rig.squid_basic
    assert squid.https_port, "the session rig must run with squid_https=True"
    proxy = proxy_block("corp", f"https://127.0.0.1:{squid.https_port}", "basic",
                        ca_file=rig.pki.ca_cert)
    before = len(tunnel_lines(squid, rig.dovecot.ports["imaps"]))
    with proxied_bridge(rig, tmp_path / "https", proxy) as bridge:
        login_and_fetch(bridge.port["proxied"])
    assert len(tunnel_lines(squid, rig.dovecot.ports["imaps"])) > before


def test_wrong_proxy_password_is_a_clear_unavailable(rig, tmp_path):
    squid = rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest",
                        password="not-the-password")
    with proxied_bridge(rig, tmp_path / "badpw", proxy) as bridge:
        s = RawImap.connect(bridge.port["proxied"])
        try:
            assert s.greeting().startswith(b"* OK")
            _, done = s.login()
            assert_tagged(done, "L1", "NO", r"UNAVAILABLE")
        finally:
            s.close()
        bridge.process.wait_for_log("407 after credentials", timeout=TIMEOUT)
        assert "not-the-password" not in bridge.log()


def test_strict_mode_the_proxy_does_not_offer(rig, tmp_path):
    squid = rig.squid_basic
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest")
    with proxied_bridge(rig, tmp_path / "strict", proxy) as bridge:
        s = RawImap.connect(bridge.port["proxied"])
        try:
            assert s.greeting().startswith(b"* OK")
            _, done = s.login()
            assert_tagged(done, "L1", "NO", r"UNAVAILABLE")
        finally:
            s.close()
        bridge.process.wait_for_log('offers Basic but auth = "digest"', timeout=TIMEOUT)


def test_no_proxy_bypasses_a_dead_proxy(rig, tmp_path):
    dead = closed_port()
    proxy = proxy_block("corp", f"http://127.0.0.1:{dead}", "any",
                        no_proxy=["localhost", "127.0.0.1"])
    with proxied_bridge(rig, tmp_path / "noproxy", proxy) as bridge:
        login_and_fetch(bridge.port["proxied"])


def test_unreachable_proxy_names_itself(rig, tmp_path):
    dead = closed_port()
    proxy = proxy_block("corp", f"http://127.0.0.1:{dead}", "any")
    with proxied_bridge(rig, tmp_path / "dead", proxy, connect_timeout=5) as bridge:
        s = RawImap.connect(bridge.port["proxied"])
        try:
            assert s.greeting().startswith(b"* OK")
            _, done = s.login()
            assert_tagged(done, "L1", "NO", r"UNAVAILABLE")
        finally:
            s.close()
        bridge.process.wait_for_log(f"proxy corp (http://127.0.0.1:{dead}) unreachable",
                                    timeout=TIMEOUT)


def test_oauth_token_request_goes_through_the_proxy_with_its_credentials(rig, tmp_path):
    squid = rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest")
    with proxied_bridge(rig, tmp_path / "token", proxy, token_through_proxy=True) as bridge:
        assert b"* 1 FETCH" in login_and_fetch(bridge.port["proxied"])
    # libcurl tunnels the token POST with CONNECT: squid never sees the client secret itself.
    pattern = rf"CONNECT 127\.0\.0\.1:{rig.oauth.port} {PROXY_USER} "
    assert any(re.search(pattern, l) for l in squid.access_lines(wait_for=pattern))


@pytest.mark.parametrize("auth", ["basic", "digest"])
def test_pop3_through_squid(rig, tmp_path, auth):
    squid = rig.squid_basic if auth == "basic" else rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", auth)
    with proxied_bridge(rig, tmp_path / f"pop3-{auth}", proxy, protocol="pop3") as bridge:
        p = poplib.POP3("127.0.0.1", bridge.port["proxied"], timeout=TIMEOUT)
        p.user(ALICE)
        assert p.pass_(LOCAL_PASSWORD).startswith(b"+OK")
        count, _ = p.stat()
        assert count == len(rig.seeded)
        _, lines, _ = p.retr(1)
        assert b"\r\n".join(lines) + b"\r\n" == rig.seeded[0].data
        p.quit()
    assert tunnel_lines(squid, rig.dovecot.ports["pop3s"])


def test_readyz_and_metrics_show_each_proxy_result(rig, tmp_path):
    squid = rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest")
    with proxied_bridge(rig, tmp_path / "ok", proxy) as bridge:
        login_and_fetch(bridge.port["proxied"])
        [state] = bridge.readyz()["proxies"]
        assert state["name"] == "corp" and state["last_result"] == "ok"
        assert state["last_latency_ms"] is not None and state["last_error"] is None
        metrics = bridge.metrics()
        assert re.search(r'mailbridge_proxy_connects_total\{proxy="corp",result="ok"\} [1-9]', metrics)
        assert 'mailbridge_proxy_connect_seconds_count{proxy="corp"}' in metrics
    bad = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest", password="wrong-pass")
    with proxied_bridge(rig, tmp_path / "bad", bad) as bridge:
        s = RawImap.connect(bridge.port["proxied"])  # a client connection starts the upstream dial
        s.greeting()

        def attempted():
            state = bridge.readyz()["proxies"][0]
            return state if state["last_result"] is not None else None
        state = wait_until(attempted, 15, "the proxy attempt in /readyz")
        s.close()
        report = bridge.readyz()
        assert state["last_result"] == "failed" and "407" in state["last_error"]
        assert "wrong-pass" not in json.dumps(report) + bridge.log()


@pytest.mark.parametrize("auth", ["basic", "digest"])
def test_smtp_through_squid(rig, tmp_path, auth):
    squid = rig.squid_basic if auth == "basic" else rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", auth)
    mark = uuid.uuid4().hex
    body = (f"From: <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: proxied {mark}\r\n\r\nvia squid\r\n").encode()
    with proxied_bridge(rig, tmp_path / f"smtp-{auth}", proxy, protocol="smtp") as bridge:
        with smtplib.SMTP("127.0.0.1", bridge.port["proxied"], timeout=TIMEOUT) as client:
            client.login(ALICE, LOCAL_PASSWORD)
            client.sendmail(ALICE, [BOB], body)
    received = wait_until(lambda: [m for m in rig.sink.messages() if mark.encode() in m["data"]],
                          20, f"message {mark} in the sink")
    assert received[0]["data"].endswith(body)
    assert tunnel_lines(squid, rig.dovecot.ports["submissions"])


def test_wrong_proxy_password_holds_back_only_its_own_route(rig, tmp_path):
    """One account, two listeners to the same Dovecot with backoff on: A through squid with a wrong
    password, B direct. A's failures are the proxy's: every login via A gets a NO naming the
    proxy and what to check, and B keeps logging in at once, every time (issue 16)."""
    squid = rig.squid_basic
    upstream_port = rig.dovecot.ports["imaps"]
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "basic",
                        password="not-the-password")
    # The token endpoint is "localhost", listed in no_proxy: only the IMAP route uses the proxy.
    account = account_block(rig, "alice", ALICE,
                            token_endpoint=rig.oauth.token_endpoint.replace("127.0.0.1", "localhost"))
    with BridgeDaemon(tmp_path, [Listener("via-proxy", upstream_port, "implicit", rig.pki.ca_cert,
                                          proxy="corp"),
                                 Listener("direct", upstream_port, "implicit", rig.pki.ca_cert)],
                      [account], proxies=[proxy], upstream_backoff_max=60) as bridge:
        for round_ in range(5):
            s = RawImap.connect(bridge.port["via-proxy"])
            try:
                assert s.greeting().startswith(b"* OK")
                _, done = s.login()
                assert_tagged(done, "L1", "NO", r"UNAVAILABLE", r"proxy corp",
                              r"check \[\[proxy\]\] corp username/password")
            finally:
                s.close()
            started = time.monotonic()
            s = bridge_session(bridge.port["direct"])  # asserts L1 OK
            elapsed = time.monotonic() - started
            s.command("Z1", "LOGOUT")
            s.close()
            # Held back, it would fail fast with "backing off" (bridge_session asserts L1 OK); the
            # bound only catches a login that waited for a backoff to end.
            assert elapsed < 5.0, f"round {round_}: direct login took {elapsed:.2f} s"

        report = bridge.readyz()
        (state,) = report["backoff"]
        assert (state["account"], state["upstream"], state["proxy"]) == (
            "alice", f"127.0.0.1:{upstream_port}", "corp"), state
        assert "407 after credentials" in state["last_error"], state
        metrics = bridge.metrics()
        assert re.search(r'mailbridge_upstream_backoff_failures\{account="alice",upstream="127\.0\.0\.1:'
                         rf'{upstream_port}",proxy="corp"\}} [1-9]', metrics), metrics
        assert "not-the-password" not in json.dumps(report) + metrics + bridge.log()
