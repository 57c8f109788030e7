"""`mailbridge test ACCOUNT` against the real rig: every step passes (and is timed) for an
implicit-TLS server, a STARTTLS server and a server reached through squid with Digest auth; with
the token endpoint down, an untrusted CA or the upstream stopped, the right step is marked failed
with the reason a client logging in would get, and the exit status is 1."""
import json
import re

from bridge_fixtures import (ALICE, BridgeDaemon, RawImap, account_block, closed_port,
                             daemon_block, server_block)
from mailbridge_process import run_cli
from rig.ports import free_port
from test_proxy import proxy_block

STEP_LINE = re.compile(r"^  (ok|FAIL) +(.+?) +(\d+\.\d) ms *([^\n]*)$", re.M)


def steps_of(output, server):
    """[(status, label, ms, detail)] of one server's block in the table."""
    block = output.split(f"server {server}:", 1)[1].split("\nserver ", 1)[0]
    return [(m[0], m[1], float(m[2]), m[3]) for m in STEP_LINE.findall(block)]


def write_config(tmp_path, text):
    path = tmp_path / "mailbridge.toml"
    path.write_text(text)
    return path


def test_every_step_passes_direct_starttls_and_through_squid_digest(rig, tmp_path):
    d, ca = rig.dovecot, rig.pki.ca_cert
    text = daemon_block(free_port())
    text += server_block("imaps", free_port(), d.ports["imaps"], "implicit", ca)
    text += server_block("starttls", free_port(), d.ports["imap"], "starttls", ca)
    text += proxy_block("corp", f"http://127.0.0.1:{rig.squid_digest.port}", "digest")
    text += server_block("digest", free_port(), d.ports["imaps"], "implicit", ca, proxy="corp")
    text += server_block("smtp", free_port(), d.ports["submission"], "starttls", ca, protocol="smtp")
    # The token endpoint is named "localhost" so that no_proxy keeps OAuth calls off squid.
    text += account_block(rig, "alice", ALICE,
                          token_endpoint=rig.oauth.token_endpoint.replace("127.0.0.1", "localhost"))
    config = write_config(tmp_path, text)

    result = run_cli("test", "alice", "--config", config, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count("PASSED in") == 4, out
    expected = {
        "imaps": ["resolve", "TCP connect", "TLS handshake", "greeting", "token", "authenticate",
                  "logout"],
        "starttls": ["resolve", "TCP connect", "STARTTLS", "TLS handshake", "token",
                     "authenticate", "logout"],
        "digest": ["resolve", "TCP connect", "proxy CONNECT", "TLS handshake", "greeting",
                   "token", "authenticate", "logout"],
        "smtp": ["resolve", "TCP connect", "STARTTLS", "TLS handshake", "token", "authenticate",
                 "logout"],
    }
    for server, labels in expected.items():
        steps = steps_of(out, server)
        assert [s[1] for s in steps] == labels, (server, out)
        assert all(s[0] == "ok" for s in steps), out
        details = {s[1]: s[3] for s in steps}
        assert re.search(r"TLSv1\.[23], .*CN ?= ?.*certificate expires in \d+ day",
                         details["TLS handshake"]), out
        assert re.search(r"(obtained|from the token store), expires in \d+ s", details["token"]), out
        assert re.search(r"(OAUTHBEARER|XOAUTH2) as alice@example\.com", details["authenticate"])
    assert "Digest" in dict((s[1], s[3]) for s in steps_of(out, "digest"))["proxy CONNECT"], out
    # squid saw the tunnel.
    pattern = rf"CONNECT 127\.0\.0\.1:{d.ports['imaps']} "
    assert rig.squid_digest.access_lines(wait_for=pattern)

    # The same as JSON, and no token anywhere in what was printed.
    result = run_cli("test", "alice", "--server", "starttls", "--json", "--config", config,
                     timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["login"] == ALICE
    assert [s["step"] for s in report["servers"][0]["steps"]] == [
        "resolve", "tcp_connect", "starttls", "tls", "token", "authenticate", "logout"]
    assert all(isinstance(s["milliseconds"], (int, float)) for s in report["servers"][0]["steps"])
    secret = rig.oauth.clients[f"cc:{ALICE}"]["client_secret"]
    assert secret not in result.stdout + result.stderr
    assert not re.search(r"[A-Za-z0-9_-]{40,}", result.stdout + result.stderr), result.stdout


def test_failing_steps_are_marked_with_the_clients_reason(rig, tmp_path):
    d, ca = rig.dovecot, rig.pki.ca_cert
    stopped = closed_port()
    text = daemon_block(free_port())
    text += server_block("stopped", free_port(), stopped, "implicit", ca)
    text += server_block("untrusted", free_port(), d.ports["imaps"], "implicit", "")
    text += server_block("good", free_port(), d.ports["imaps"], "implicit", ca)
    text += account_block(rig, "alice", ALICE)
    text += account_block(rig, "tokenless", "tokenless@example.com", cc_email=ALICE,
                          token_endpoint=f"http://127.0.0.1:{closed_port()}/token")
    config = write_config(tmp_path, text)

    def failing(account, server):
        result = run_cli("test", account, "--server", server, "--config", config, timeout=60)
        assert result.returncode == 1, result.stdout + result.stderr
        steps = steps_of(result.stdout, server)
        failed = [s for s in steps if s[0] == "FAIL"]
        assert len(failed) == 1 and steps[-1] is not None and failed[0] == steps[-1], result.stdout
        assert f"FAILED at {failed[0][1]}" in result.stdout
        return failed[0]

    step = failing("alice", "stopped")
    assert step[1] == "TCP connect" and str(stopped) in step[3], step
    step = failing("alice", "untrusted")
    assert step[1] == "TLS handshake" and "certificate" in step[3], step
    step = failing("tokenless", "good")
    assert step[1] == "token" and "cannot get an OAuth2 token" in step[3], step

    # A client logging in through a bridge with this config gets the same reason.
    bridge = BridgeDaemon(tmp_path / "bridge", [("stopped", stopped, "implicit", ca)],
                          [account_block(rig, "alice", ALICE)])
    bridge.start()
    try:
        with RawImap.connect(bridge.port["stopped"]) as s:
            s.greeting()
            _, done = s.login()
        reason = failing("alice", "stopped")[3]
        assert reason in done.decode(), (reason, done)
    finally:
        bridge.stop()

    # Usage errors exit 2 with a reason.
    result = run_cli("test", "nobody", "--config", config)
    assert result.returncode == 2 and "no [[account]] named" in result.stderr
    result = run_cli("test", "alice", "--server", "nowhere", "--config", config)
    assert result.returncode == 2 and "no [[server]] named" in result.stderr
