"""Upstream IMAP through the rig's real squid proxies: Digest (squid_digest), Basic with STARTTLS,
Basic over an https:// proxy (TLS to squid itself), a wrong proxy password, a strict auth mode the
proxy does not offer, an unreachable proxy, and no_proxy bypassing a dead proxy. Each check logs in through the bridge
and FETCHes, and reads squid's access.log to prove the tunnel was used."""
import re

import pytest

from bridge_fixtures import (ALICE, TIMEOUT, RawImap, account_block, assert_tagged, bridge_session,
                             daemon_block)
from mailbridge_process import MailbridgeProcess, free_port

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


def proxied_server_block(name, listen_port, upstream_port, upstream_tls, ca_file, proxy,
                         protocol="imap"):
    return f"""
[[server]]
name = "{name}"
protocol = "{protocol}"
listen = "127.0.0.1:{listen_port}"
upstream = "127.0.0.1:{upstream_port}"
upstream_tls = "{upstream_tls}"
ca_file = "{ca_file}"
proxy = "{proxy}"
"""


class ProxiedBridge:
    """`mailbridge run` with one listener going upstream through one [[proxy]]."""

    def __init__(self, rig, directory, proxy_text, upstream_tls="implicit", connect_timeout=10,
                 token_through_proxy=False, protocol="imap"):
        self.port = free_port()
        self.health_port = free_port()
        implicit, starttls = {"imap": ("imaps", "imap"), "pop3": ("pop3s", "pop3"),
                              "smtp": ("submissions", "submission")}[protocol]
        upstream_port = rig.dovecot.ports[implicit if upstream_tls == "implicit" else starttls]
        text = daemon_block(self.health_port, log_level=4, connect_timeout=connect_timeout)
        text += proxy_text
        text += proxied_server_block(protocol, self.port, upstream_port, upstream_tls,
                                     rig.pki.ca_cert, "corp", protocol)
        # The OAuth2 calls use the server's proxy too, and the rig's squid only allows CONNECT: the
        # token endpoint is named "localhost" and listed in no_proxy, the IMAP upstream stays
        # 127.0.0.1 and goes through the proxy.
        token_endpoint = rig.oauth.token_endpoint
        if not token_through_proxy:
            token_endpoint = token_endpoint.replace("127.0.0.1", "localhost")
        text += account_block(rig, "alice", ALICE, token_endpoint=token_endpoint)
        self.process = MailbridgeProcess(directory, text)

    def __enter__(self):
        self.process.start(health_url=f"http://127.0.0.1:{self.health_port}/healthz", timeout=20)
        return self

    def __exit__(self, *exc):
        try:
            self.process.stop()
        finally:
            self.process.kill()

    def log(self):
        return self.process.log()


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
    with ProxiedBridge(rig, tmp_path / "digest", proxy) as bridge:
        login_and_fetch(bridge.port)
    lines = tunnel_lines(squid, rig.dovecot.ports["imaps"])
    assert len(lines) > before, "squid logged no authenticated CONNECT to Dovecot"
    assert any(" 200 " in l or "/200 " in l for l in lines[before:]), lines[before:]


def test_imap_starttls_through_squid_with_basic_and_any(rig, tmp_path):
    squid = rig.squid_basic
    before = len(tunnel_lines(squid, rig.dovecot.ports["imap"]))
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "any")
    with ProxiedBridge(rig, tmp_path / "basic", proxy, upstream_tls="starttls") as bridge:
        login_and_fetch(bridge.port)
    assert len(tunnel_lines(squid, rig.dovecot.ports["imap"])) > before


def test_imap_through_an_https_proxy(rig, tmp_path):
    squid = rig.squid_basic
    assert squid.https_port, "the session rig must run with squid_https=True"
    proxy = proxy_block("corp", f"https://127.0.0.1:{squid.https_port}", "basic",
                        ca_file=rig.pki.ca_cert)
    before = len(tunnel_lines(squid, rig.dovecot.ports["imaps"]))
    with ProxiedBridge(rig, tmp_path / "https", proxy) as bridge:
        login_and_fetch(bridge.port)
    assert len(tunnel_lines(squid, rig.dovecot.ports["imaps"])) > before


def test_wrong_proxy_password_is_a_clear_unavailable(rig, tmp_path):
    squid = rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest",
                        password="not-the-password")
    with ProxiedBridge(rig, tmp_path / "badpw", proxy) as bridge:
        s = RawImap.connect(bridge.port)
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
    with ProxiedBridge(rig, tmp_path / "strict", proxy) as bridge:
        s = RawImap.connect(bridge.port)
        try:
            assert s.greeting().startswith(b"* OK")
            _, done = s.login()
            assert_tagged(done, "L1", "NO", r"UNAVAILABLE")
        finally:
            s.close()
        bridge.process.wait_for_log('offers Basic but auth = "digest"', timeout=TIMEOUT)


def test_no_proxy_bypasses_a_dead_proxy(rig, tmp_path):
    dead = free_port()
    proxy = proxy_block("corp", f"http://127.0.0.1:{dead}", "any",
                        no_proxy=["localhost", "127.0.0.1"])
    with ProxiedBridge(rig, tmp_path / "noproxy", proxy) as bridge:
        login_and_fetch(bridge.port)


def test_unreachable_proxy_names_itself(rig, tmp_path):
    dead = free_port()
    proxy = proxy_block("corp", f"http://127.0.0.1:{dead}", "any")
    with ProxiedBridge(rig, tmp_path / "dead", proxy, connect_timeout=5) as bridge:
        s = RawImap.connect(bridge.port)
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
    with ProxiedBridge(rig, tmp_path / "token", proxy, token_through_proxy=True) as bridge:
        assert b"* 1 FETCH" in login_and_fetch(bridge.port)
    # libcurl tunnels the token POST with CONNECT: squid never sees the client secret itself.
    pattern = rf"CONNECT 127\.0\.0\.1:{rig.oauth.port} {PROXY_USER} "
    assert any(re.search(pattern, l) for l in squid.access_lines(wait_for=pattern))


@pytest.mark.parametrize("auth", ["basic", "digest"])
def test_pop3_through_squid(rig, tmp_path, auth):
    import poplib
    from bridge_fixtures import LOCAL_PASSWORD
    squid = rig.squid_basic if auth == "basic" else rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", auth)
    with ProxiedBridge(rig, tmp_path / f"pop3-{auth}", proxy, protocol="pop3") as bridge:
        p = poplib.POP3("127.0.0.1", bridge.port, timeout=TIMEOUT)
        p.user(ALICE)
        assert p.pass_(LOCAL_PASSWORD).startswith(b"+OK")
        count, _ = p.stat()
        assert count == len(rig.seeded)
        _, lines, _ = p.retr(1)
        assert b"\r\n".join(lines) + b"\r\n" == rig.seeded[0].data
        p.quit()
    assert tunnel_lines(squid, rig.dovecot.ports["pop3s"])


def test_readyz_and_metrics_show_each_proxy_result(rig, tmp_path):
    import json
    from mailbridge_process import http_get
    squid = rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest")
    with ProxiedBridge(rig, tmp_path / "ok", proxy) as bridge:
        login_and_fetch(bridge.port)
        report = json.loads(http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")[1])
        [state] = report["proxies"]
        assert state["name"] == "corp" and state["last_result"] == "ok"
        assert state["last_latency_ms"] is not None and state["last_error"] is None
        metrics = http_get(f"http://127.0.0.1:{bridge.health_port}/metrics")[1]
        assert re.search(r'mailbridge_proxy_connects_total\{proxy="corp",result="ok"\} [1-9]', metrics)
        assert 'mailbridge_proxy_connect_seconds_count{proxy="corp"}' in metrics
    bad = proxy_block("corp", f"http://127.0.0.1:{squid.port}", "digest", password="wrong-pass")
    with ProxiedBridge(rig, tmp_path / "bad", bad) as bridge:
        s = RawImap.connect(bridge.port)  # a client connection starts the upstream dial
        s.greeting()

        def proxy_state():
            return json.loads(http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")[1])["proxies"][0]
        bridge.process.wait_until(lambda: proxy_state()["last_result"] is not None, 15,
                                  "the proxy attempt in /readyz")
        s.close()
        state = proxy_state()
        report = json.loads(http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")[1])
        assert state["last_result"] == "failed" and "407" in state["last_error"]
        assert "wrong-pass" not in json.dumps(report) + bridge.log()



@pytest.mark.parametrize("auth", ["basic", "digest"])
def test_smtp_through_squid(rig, tmp_path, auth):
    import smtplib
    import uuid
    from bridge_fixtures import BOB, LOCAL_PASSWORD
    squid = rig.squid_basic if auth == "basic" else rig.squid_digest
    proxy = proxy_block("corp", f"http://127.0.0.1:{squid.port}", auth)
    mark = uuid.uuid4().hex
    body = (f"From: <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: proxied {mark}\r\n\r\nvia squid\r\n").encode()
    with ProxiedBridge(rig, tmp_path / f"smtp-{auth}", proxy, protocol="smtp") as bridge:
        with smtplib.SMTP("127.0.0.1", bridge.port, timeout=TIMEOUT) as client:
            client.login(ALICE, LOCAL_PASSWORD)
            client.sendmail(ALICE, [BOB], body)
    import time
    deadline, received = time.time() + 20, []
    while not received and time.time() < deadline:
        received = [m for m in rig.sink.messages() if mark.encode() in m["data"]]
        time.sleep(0.1)
    assert received and received[0]["data"].endswith(body)
    assert tunnel_lines(squid, rig.dovecot.ports["submissions"])


def test_wrong_proxy_password_holds_back_only_its_own_route(rig, tmp_path):
    """One account, two listeners to the same Dovecot with backoff on: A through squid with a wrong
    password, B direct. A's failures are the proxy's: every login via A gets a NO naming the
    proxy and what to check, and B keeps logging in at once, every time (issue 16)."""
    import json
    import time
    from mailbridge_process import http_get
    squid = rig.squid_basic
    health_port, port_a, port_b = free_port(), free_port(), free_port()
    upstream_port = rig.dovecot.ports["imaps"]
    text = daemon_block(health_port, log_level=3, upstream_backoff_max=60)
    text += proxy_block("corp", f"http://127.0.0.1:{squid.port}", "basic",
                        password="not-the-password")
    text += proxied_server_block("via-proxy", port_a, upstream_port, "implicit", rig.pki.ca_cert,
                                 "corp")
    text += proxied_server_block("direct", port_b, upstream_port, "implicit", rig.pki.ca_cert, "")
    # The token endpoint is "localhost", listed in no_proxy: only the IMAP route uses the proxy.
    text += account_block(rig, "alice", ALICE,
                          token_endpoint=rig.oauth.token_endpoint.replace("127.0.0.1", "localhost"))
    process = MailbridgeProcess(tmp_path, text)
    process.start(health_url=f"http://127.0.0.1:{health_port}/healthz", timeout=20)
    try:
        for round_ in range(5):
            s = RawImap.connect(port_a)
            try:
                assert s.greeting().startswith(b"* OK")
                _, done = s.login()
                assert_tagged(done, "L1", "NO", r"UNAVAILABLE", r"proxy corp",
                              r"check \[\[proxy\]\] corp username/password")
            finally:
                s.close()
            started = time.monotonic()
            s = bridge_session(port_b)  # asserts L1 OK
            elapsed = time.monotonic() - started
            s.command("Z1", "LOGOUT")
            s.close()
            # Held back, it would fail fast with "backing off" (bridge_session asserts L1 OK); the
            # bound only catches a login that waited for a backoff to end.
            assert elapsed < 5.0, f"round {round_}: direct login took {elapsed:.2f} s"

        report = json.loads(http_get(f"http://127.0.0.1:{health_port}/readyz")[1])
        (state,) = report["backoff"]
        assert (state["account"], state["upstream"], state["proxy"]) == (
            "alice", f"127.0.0.1:{upstream_port}", "corp"), state
        assert "407 after credentials" in state["last_error"], state
        metrics = http_get(f"http://127.0.0.1:{health_port}/metrics")[1]
        assert re.search(r'mailbridge_upstream_backoff_failures\{account="alice",upstream="127\.0\.0\.1:'
                         rf'{upstream_port}",proxy="corp"\}} [1-9]', metrics), metrics
        assert "not-the-password" not in json.dumps(report) + metrics + process.log()
    finally:
        try:
            process.stop()
        finally:
            process.kill()
