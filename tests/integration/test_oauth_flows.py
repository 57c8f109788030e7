"""OAuth2 in full against the rig's real oidc-provider and Dovecot: `mailbridge auth` with the
authorization code + PKCE flow (loopback redirect) and the device flow, tokens in the encrypted
token store, the daemon logging in with them, refresh with rotation after expiry, a restart
without re-authorization, and a revoked grant reported as needs_authorization for that login only.
Run with PYTHONPATH=tests/integration (MAILBRIDGE_BIN names the binary under test)."""
import imaplib
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bridge_fixtures import ALICE, BOB, LOCAL_PASSWORD, BridgeDaemon, account_block, wait_until
from mailbridge_process import BINARY, http_get
from rig.waiting import WaitTimeout

SCOPES = '["openid", "offline_access", "mail"]'


def user_account(rig, name, flow, client, login=ALICE, redirect_port=None):
    """A per-login account of the rig's public `client` (native or device), endpoints by discovery."""
    text = f"""
[[account]]
name = "{name}"
login = "{login}"
local_password = "{LOCAL_PASSWORD}"
provider = "generic"
flow = "{flow}"
client_id = "{rig.oauth.clients[client]['client_id']}"
issuer = "{rig.oauth.issuer}"
scopes = {SCOPES}
"""
    if redirect_port is not None:
        text += f'redirect_uri = "http://127.0.0.1:{redirect_port}/callback"\n'
    return text


def bridge_for(rig, directory, accounts, log_level=3):
    d = rig.dovecot
    return BridgeDaemon(directory, [("imaps", d.ports["imaps"], "implicit", rig.pki.ca_cert)],
                        accounts, log_level=log_level)


class AuthProcess:
    """`mailbridge auth` running in the background; its output is collected line by line."""

    def __init__(self, config_path, account, *extra):
        self.process = subprocess.Popen([BINARY, "auth", account, "--config", str(config_path),
                                         *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env={**os.environ, "DISPLAY": "",
                                                        "WAYLAND_DISPLAY": ""})
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, pattern, timeout=20):
        """The match of `pattern` in the first output line that has one."""
        def found():
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m
            if self.process.poll() is not None and not self._reader.is_alive():
                raise WaitTimeout("`mailbridge auth` ended")
            return None
        try:
            return wait_until(found, timeout, f"{pattern!r} in the output of `mailbridge auth`")
        except WaitTimeout as ended:
            raise AssertionError(f"{ended}: no {pattern!r} in auth output: {''.join(self.lines)}"
                                 f"{self.process.stderr.read() if self.process.poll() is not None else ''}")

    def finish(self, timeout=30):
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code, "".join(self.lines), self.process.stderr.read()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def authorize_with_code(rig, config_path, account, login=ALICE, password=None):
    auth = AuthProcess(config_path, account, "--login", login, "--timeout", "60")
    try:
        url = auth.wait_for(r"^(http://\S+/auth\?\S+)$").group(1)
        assert "code_challenge_method=S256" in url and "state=" in url
        query = rig.oauth.complete_authorization(url, login, password or rig.users[login])
        assert query["location"].startswith("http://127.0.0.1:")
        with urllib.request.urlopen(query["location"], timeout=10) as answer:
            assert answer.status == 200
            assert b"Authorization received" in answer.read()
        return auth.finish()
    finally:
        auth.kill()


def stored_rows(state_dir):
    """{(account, login): {'access': str, 'refresh': str|None}} decrypted with token.key."""
    key = (state_dir / "token.key").read_bytes()
    aead = AESGCM(key)
    out = {}
    with sqlite3.connect(state_dir / "tokens.sqlite") as db:
        for account, login, access, refresh in db.execute(
                "SELECT account, login, access_token, refresh_token FROM tokens"):
            def unseal(blob, field):
                if blob is None:
                    return None
                assert blob[0] == 1
                ad = account.encode() + b"\0" + login.encode() + b"\0" + field.encode()
                return aead.decrypt(blob[1:13], blob[13:], ad).decode()
            out[(account, login)] = {"access": unseal(access, "access_token"),
                                     "refresh": unseal(refresh, "refresh_token")}
    return out


def assert_store_is_sealed(state_dir):
    assert stat.S_IMODE(os.stat(state_dir).st_mode) == 0o700
    for name in ("tokens.sqlite", "token.key"):
        assert stat.S_IMODE(os.stat(state_dir / name).st_mode) == 0o600, name
    dump = subprocess.run(["sqlite3", str(state_dir / "tokens.sqlite"), ".dump"],
                          capture_output=True, text=True, check=True).stdout
    assert "CREATE TABLE tokens" in dump
    for row in stored_rows(state_dir).values():
        for value in row.values():
            if value:
                assert value not in dump
    assert "TOKEN" not in dump.replace("CREATE TABLE tokens", "")


def imap_login(port, user=ALICE):
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=20)
    try:
        typ, _ = imap.login(user, LOCAL_PASSWORD)
        assert typ == "OK"
        typ, data = imap.select("INBOX", readonly=True)
        assert typ == "OK", data
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def imap_login_refused(port, user=ALICE):
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=20)
    try:
        with pytest.raises(imaplib.IMAP4.error) as refused:
            imap.login(user, LOCAL_PASSWORD)
        return str(refused.value)
    finally:
        imap.shutdown()


def readyz_account(bridge, name, login):
    report = json.loads(http_get(f"http://127.0.0.1:{bridge.health_port}/readyz")[1])
    for account in report["accounts"]:
        if account["name"] == name and account["login"] == login:
            return account
    return None


def wait_token_expired(bridge, name, login, timeout=30):
    """Until the access token the bridge holds now for (name, login) has expired: the end /readyz
    gives for it (unix seconds) has passed, or /readyz no longer reports a valid one."""
    until = readyz_account(bridge, name, login)["token_valid_until"]

    def expired():
        return (until is None or time.time() >= until + 1
                or readyz_account(bridge, name, login)["token_state"] != "valid")
    wait_until(expired, timeout, f"the access token of {name} ({login}) in the bridge to expire")


def test_authorization_code_flow_then_bridge_login(rig, tmp_path):
    bridge = bridge_for(rig, tmp_path, [user_account(rig, "alice", "authorization_code", "native",
                                                     redirect_port=0)])
    code, out, err = authorize_with_code(rig, bridge.process.config_path, "alice")
    assert code == 0, out + err
    assert "Authorized alice@example.com for account alice" in out
    state_dir = tmp_path / "state"
    rows = stored_rows(state_dir)
    assert rows[("alice", ALICE)]["access"] and rows[("alice", ALICE)]["refresh"]
    assert_store_is_sealed(state_dir)
    bridge.start()
    try:
        imap_login(bridge.port["imaps"])
        assert readyz_account(bridge, "alice", ALICE)["token_state"] == "valid"
    finally:
        assert bridge.stop() == 0


def test_wrong_state_keeps_waiting_and_replayed_code_is_refused(rig, tmp_path):
    bridge = bridge_for(rig, tmp_path, [user_account(rig, "alice", "authorization_code", "native",
                                                     redirect_port=0)])
    config = bridge.process.config_path
    # A redirect with another state (or none) is not the answer to this request: the browser gets
    # 400 and the flow keeps waiting for the real one.
    auth = AuthProcess(config, "alice", "--timeout", "60")
    try:
        url = auth.wait_for(r"^(http://\S+/auth\?\S+)$").group(1)
        query = rig.oauth.complete_authorization(url, ALICE, rig.users[ALICE])
        forged = re.sub(r"state=[^&]+", "state=forged", query["location"])
        stateless = re.sub(r"&?state=[^&]+", "", query["location"])
        for stray in (forged, stateless, query["location"].split("?")[0] + "?error=access_denied"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(stray, timeout=10)
            assert refused.value.code == 400 and b"keeps waiting" in refused.value.read()
            assert auth.process.poll() is None, "a stray redirect ended the flow"
        with urllib.request.urlopen(query["location"], timeout=10) as answer:
            assert b"Authorization received" in answer.read()
        code, out, err = auth.finish()
    finally:
        auth.kill()
    assert code == 0, out + err
    # PKCE is real: request A's code redeemed by request B (B's verifier) is refused; A then
    # redeems it; replaying it in request C is refused again. Each refusal is reported.
    def started():
        process = AuthProcess(config, "alice", "--timeout", "60")
        url = process.wait_for(r"^(http://\S+/auth\?\S+)$").group(1)
        return process, rig.oauth.complete_authorization(url, ALICE, rig.users[ALICE])

    def deliver(query, code):
        location = re.sub(r"code=[^&]+", "code=" + code, query["location"])
        urllib.request.urlopen(location, timeout=10).read()

    runs = []
    try:
        runs.append(started())
        runs.append(started())
        (a, query_a), (b, query_b) = runs
        deliver(query_b, query_a["code"])
        code, out, err = b.finish()
        assert code == 1 and "invalid_grant" in err and "authorize again" in err, err
        deliver(query_a, query_a["code"])
        code, out, err = a.finish()
        assert code == 0, out + err
        runs.append(started())
        c, query_c = runs[-1]
        deliver(query_c, query_a["code"])
        code, out, err = c.finish()
        assert code == 1 and "invalid_grant" in err, err
    finally:
        for process, _ in runs:
            process.kill()


def test_device_flow_then_bridge_login(rig, tmp_path):
    bridge = bridge_for(rig, tmp_path, [user_account(rig, "dev", "device_code", "device")])
    auth = AuthProcess(bridge.process.config_path, "dev", "--login", ALICE)
    try:
        user_code = auth.wait_for(r"enter the code (\S+)").group(1)
        rig.oauth.approve_device(user_code, ALICE)
        code, out, err = auth.finish(timeout=40)
    finally:
        auth.kill()
    assert code == 0, out + err
    rows = stored_rows(tmp_path / "state")
    assert rows[("dev", ALICE)]["refresh"]
    assert_store_is_sealed(tmp_path / "state")
    bridge.start()
    try:
        imap_login(bridge.port["imaps"])
    finally:
        assert bridge.stop() == 0


def test_token_for_another_identity_is_refused_and_the_stored_one_kept(rig, tmp_path):
    bridge = bridge_for(rig, tmp_path, [user_account(rig, "alice", "authorization_code", "native",
                                                     redirect_port=0)])
    config = bridge.process.config_path
    code, out, err = authorize_with_code(rig, config, "alice")
    assert code == 0, out + err
    before = stored_rows(tmp_path / "state")[("alice", ALICE)]
    # Authorizing alice again, but the person signs in at the provider as bob.
    auth = AuthProcess(config, "alice", "--timeout", "60")
    try:
        url = auth.wait_for(r"^(http://\S+/auth\?\S+)$").group(1)
        query = rig.oauth.complete_authorization(url, BOB, rig.users[BOB])
        urllib.request.urlopen(query["location"], timeout=10).read()
        code, out, err = auth.finish()
    finally:
        auth.kill()
    assert code == 1, out + err
    assert f"signed in {BOB}" in err and f"for {ALICE}" in err, err
    assert stored_rows(tmp_path / "state")[("alice", ALICE)] == before
    bridge.start()
    try:
        imap_login(bridge.port["imaps"])  # still alice's own token
    finally:
        assert bridge.stop() == 0


def test_login_hint_is_the_upstream_identity(rig, tmp_path):
    account = user_account(rig, "alias", "authorization_code", "native", login="me@local.test",
                           redirect_port=0) + f'upstream_user = "{ALICE}"\n'
    bridge = bridge_for(rig, tmp_path, [account])
    auth = AuthProcess(bridge.process.config_path, "alias", "--timeout", "60")
    try:
        url = auth.wait_for(r"^(http://\S+/auth\?\S+)$").group(1)
        hint = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["login_hint"]
        assert hint == [ALICE], url
        query = rig.oauth.complete_authorization(url, ALICE, rig.users[ALICE])
        urllib.request.urlopen(query["location"], timeout=10).read()
        code, out, err = auth.finish()
    finally:
        auth.kill()
    assert code == 0, out + err
    assert stored_rows(tmp_path / "state")[("alias", "me@local.test")]["access"]


def test_refresh_rotation_restart_and_revocation(rig_factory, tmp_path):
    short = rig_factory(access_token_ttl=8)
    accounts = [user_account(short, "alice", "authorization_code", "native", redirect_port=0),
                account_block(short, "bob", BOB)]
    bridge = bridge_for(short, tmp_path, accounts)
    code, out, err = authorize_with_code(short, bridge.process.config_path, "alice")
    assert code == 0, out + err
    state_dir = tmp_path / "state"
    first = stored_rows(state_dir)[("alice", ALICE)]
    bridge.start()
    try:
        imap_login(bridge.port["imaps"])
        wait_token_expired(bridge, "alice", ALICE)
        imap_login(bridge.port["imaps"])
        second = stored_rows(state_dir)[("alice", ALICE)]
        assert second["access"] != first["access"]
        assert second["refresh"] != first["refresh"]  # rotated, and the new one persisted
        assert short.oauth.token_requests(short.oauth.clients["native"]["client_id"],
                                          "refresh_token") >= 1
    finally:
        assert bridge.stop() == 0
    # A restart needs no new authorization.
    bridge.start()
    try:
        imap_login(bridge.port["imaps"])
        third = stored_rows(state_dir)[("alice", ALICE)]
        # A revoked refresh token: the next refresh fails for this login only.
        short.oauth.revoke(third["refresh"], "refresh_token")
        wait_token_expired(bridge, "alice", ALICE)
        message = imap_login_refused(bridge.port["imaps"])
        assert "mailbridge auth alice" in message, message
        state = readyz_account(bridge, "alice", ALICE)
        assert state["token_state"] == "needs_authorization", state
        imap_login(bridge.port["imaps"], BOB)
        assert stored_rows(state_dir)[("alice", ALICE)]["refresh"] is None
        # `mailbridge auth` repairs the login while the daemon runs: no restart, no reload.
        code, out, err = authorize_with_code(short, bridge.process.config_path, "alice")
        assert code == 0, out + err
        imap_login(bridge.port["imaps"])
        assert readyz_account(bridge, "alice", ALICE)["token_state"] == "valid"
    finally:
        assert bridge.stop() == 0


ADMIN_TOKEN = "admin-" + os.urandom(8).hex()
ADMIN = {"Authorization": "Bearer " + ADMIN_TOKEN}


def with_admin_token(bridge):
    """The bridge's config with [daemon] admin_token = ADMIN_TOKEN (before it starts)."""
    path = bridge.process.config_path
    path.write_text(path.read_text().replace("[daemon]\n",
                                             f'[daemon]\nadmin_token = "{ADMIN_TOKEN}"\n', 1))
    return bridge


def auth_answer(bridge, path, method="GET", headers=None):
    """(status, headers, body text) of the daemon's health endpoint."""
    request = urllib.request.Request(f"http://127.0.0.1:{bridge.health_port}{path}", method=method,
                                     data=b"" if method == "POST" else None, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def auth_page(bridge, account, login=None, method="GET", headers=None):
    """The daemon's /auth/ACCOUNT answer as (status, JSON or text); POSTs carry the admin token
    unless `headers` names another Authorization."""
    url = f"http://127.0.0.1:{bridge.health_port}/auth/{account}"
    if login:
        url += "?login=" + urllib.parse.quote(login)
    admin = ADMIN if method == "POST" else {}
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None,
                                     headers={"Accept": "application/json", **admin,
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, body = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def wait_for_phase(bridge, account, login, phases, timeout=40):
    last = {}

    def in_phase():
        status, state = auth_page(bridge, account, login, headers=ADMIN)
        assert status == 200, state
        last["state"] = state
        return state if state["phase"] in phases else None
    try:
        return wait_until(in_phase, timeout, f"phase {sorted(phases)} of {account}", interval=0.2)
    except WaitTimeout:
        raise AssertionError(f"still {last['state']} after {timeout} s")


def test_daemon_auth_page_authorizes_logins_of_a_running_daemon(rig, tmp_path):
    accounts = [user_account(rig, "alice", "authorization_code", "native", redirect_port=0),
                user_account(rig, "dev", "device_code", "device", login=BOB),
                account_block(rig, "robot", "robot@example.com", cc_email=ALICE)]
    bridge = with_admin_token(bridge_for(rig, tmp_path, accounts, log_level=5))
    bridge.start()
    try:
        assert "mailbridge auth alice" in imap_login_refused(bridge.port["imaps"])
        assert readyz_account(bridge, "alice", ALICE)["token_state"] == "needs_authorization"

        # Nothing started yet; the HTML page offers a button that POSTs to the same page.
        assert auth_page(bridge, "alice")[1] == {"account": "alice", "login": ALICE,
                                                 "phase": "none"}
        status, html = http_get(f"http://127.0.0.1:{bridge.health_port}/auth/alice")
        assert status == 200 and '<form method="post"' in html, html
        # Refusals: unknown account, an account without interactive flow, another site's page.
        assert auth_page(bridge, "nosuch", method="POST")[0] == 404
        status, answer = auth_page(bridge, "robot", method="POST")
        assert status == 409 and "needs no interactive authorization" in answer["error"]
        status, answer = auth_page(bridge, "alice", method="POST",
                                   headers={"Origin": "http://evil.example"})
        assert status == 403, answer
        # Without the admin token (or with a wrong one) nothing starts.
        for refused in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
            status, headers, text = auth_answer(bridge, "/auth/alice", "POST", refused)
            assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer"), text
            assert ADMIN_TOKEN not in text
        # DNS rebinding: another name for 127.0.0.1 in Host gets nothing but the probes.
        port = bridge.health_port
        for path, method in (("/auth/alice", "GET"), ("/auth/alice", "POST"), ("/nothing", "GET")):
            status, _, text = auth_answer(bridge, path, method,
                                          {"Host": f"rebind.example:{port}", **ADMIN})
            assert status == 421, (path, status, text)
        assert auth_answer(bridge, "/auth/alice", "GET", {"Host": f"127.0.0.1:{port + 1}"})[0] == 421
        assert auth_answer(bridge, "/auth/alice", "GET", {"Host": f"localhost:{port}"})[0] == 200
        for probe in ("/healthz", "/readyz", "/metrics"):
            assert auth_answer(bridge, probe, "GET", {"Host": "rebind.example"})[0] in (200, 503)
        assert auth_page(bridge, "alice")[1]["phase"] == "none"

        # Authorization code + PKCE, started by the daemon, finished in the "browser".
        status, state = auth_page(bridge, "alice", method="POST")
        assert status == 202 and state["phase"] in ("starting", "waiting_for_user"), state
        state = wait_for_phase(bridge, "alice", ALICE, {"waiting_for_user", "failed"})
        assert state["phase"] == "waiting_for_user", state
        assert "code_challenge_method=S256" in state["url"]
        # Without the admin token the page shows the phase only: no URL, no OAuth state.
        oauth_state = urllib.parse.parse_qs(urllib.parse.urlsplit(state["url"]).query)["state"][0]
        assert auth_page(bridge, "alice")[1] == {"account": "alice", "login": ALICE,
                                                 "phase": "waiting_for_user",
                                                 "flow": "authorization_code"}
        status, headers, html = auth_answer(bridge, "/auth/alice")
        assert status == 200 and oauth_state not in html and "/auth?" not in html, html
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        # A second POST while it waits shows the same flow instead of starting another.
        assert auth_page(bridge, "alice", method="POST")[1]["url"] == state["url"]
        query = rig.oauth.complete_authorization(state["url"], ALICE, rig.users[ALICE])
        with urllib.request.urlopen(query["location"], timeout=10) as answer:
            assert b"Authorization received" in answer.read()
        state = wait_for_phase(bridge, "alice", ALICE, {"authorized", "failed"})
        assert state["phase"] == "authorized", state
        # The daemon read the new row at once: ready before any client logs in.
        assert readyz_account(bridge, "alice", ALICE)["token_state"] == "valid"
        imap_login(bridge.port["imaps"])

        # Device flow for another account, approved at the provider.
        status, state = auth_page(bridge, "dev", BOB, method="POST")
        assert status == 202, state
        state = wait_for_phase(bridge, "dev", BOB, {"waiting_for_user", "failed"})
        assert state.get("user_code"), state
        rig.oauth.approve_device(state["user_code"], BOB)
        state = wait_for_phase(bridge, "dev", BOB, {"authorized", "failed"}, timeout=60)
        assert state["phase"] == "authorized", state
        imap_login(bridge.port["imaps"], BOB)
        status, _, html = auth_answer(bridge, "/auth/dev?login=" + urllib.parse.quote(BOB))
        assert status == 200 and "Authorized" in html
    finally:
        assert bridge.stop() == 0
    rows = stored_rows(tmp_path / "state")
    assert rows[("alice", ALICE)]["refresh"] and rows[("dev", BOB)]["refresh"]
    assert_store_is_sealed(tmp_path / "state")
    log = bridge.process.log()
    assert "authorized from the health endpoint" in log
    assert ADMIN_TOKEN not in log
    for row in rows.values():
        for value in row.values():
            if value:
                assert value not in log


def test_admin_token_from_a_file_and_after_a_reload(rig, tmp_path):
    """A file secret is read off the loop at start; a reload brings the new token in force."""
    bridge = bridge_for(rig, tmp_path, [user_account(rig, "alice", "authorization_code", "native",
                                                     redirect_port=0)])
    token_file = tmp_path / "admin.token"
    token_file.write_text("from-a-file\n")
    token_file.chmod(0o600)
    text = bridge.config_text.replace("[daemon]\n",
                                      '[daemon]\nadmin_token = { file = "admin.token" }\n', 1)
    bridge.process.rewrite_config(text)

    def post(token):
        return auth_page(bridge, "alice", method="POST",
                         headers={"Authorization": "Bearer " + token})[0]

    bridge.start()
    try:
        # The file is read on the worker pool just after the start.
        wait_until(lambda: post("from-a-file") != 401, 10, "the file token to be accepted")
        assert post("from-a-file") == 202
        assert post("from-a-fil") == 401
        bridge.process.rewrite_config(text.replace('{ file = "admin.token" }', '"second-token"'))
        bridge.process.signal(signal.SIGHUP)
        bridge.process.wait_for_log("reloaded ")
        assert post("from-a-file") == 401
        assert post("second-token") == 202
    finally:
        assert bridge.stop() == 0
    log = bridge.log()
    assert "from-a-file" not in log and "second-token" not in log


def test_kill_9_during_refreshes_leaves_a_usable_token_store(rig_factory, tmp_path):
    """3-second tokens, four clients logging in without pause: refreshes and token writes never
    stop; kill -9 lands among them. The store opens as it is, and no login needs authorizing."""
    short = rig_factory(access_token_ttl=3)
    accounts = [user_account(short, "alice", "authorization_code", "native", redirect_port=0),
                account_block(short, "bob", BOB)]
    bridge = bridge_for(short, tmp_path, accounts)
    code, out, err = authorize_with_code(short, bridge.process.config_path, "alice")
    assert code == 0, out + err
    bridge.start()
    stop = threading.Event()
    failures = []

    def client(user):
        while not stop.is_set():
            try:
                imap_login(bridge.port["imaps"], user)
            except Exception as error:  # the kill ends sessions mid-way; only count before it
                if not stop.is_set():
                    failures.append(repr(error))
                return

    threads = [threading.Thread(target=client, args=(user,), daemon=True)
               for user in (ALICE, ALICE, BOB, BOB)]
    for t in threads:
        t.start()
    def refreshes():
        assert not failures, failures
        return short.oauth.token_requests(short.oauth.clients["native"]["client_id"],
                                          "refresh_token")
    refreshes_before = refreshes()
    wait_until(lambda: refreshes() >= refreshes_before + 3, 30, "three refreshes", interval=0.1)
    # The next refresh has just been answered: the kill lands while the bridge stores its tokens.
    wait_until(lambda: refreshes() >= refreshes_before + 4, 30, "a fourth refresh", interval=0.02)
    stop.set()
    bridge.process.process.kill()
    bridge.process.process.wait(10)
    for t in threads:
        t.join(20)
    assert not failures, failures

    state_dir = tmp_path / "state"
    check = subprocess.run(["sqlite3", str(state_dir / "tokens.sqlite"), "PRAGMA integrity_check"],
                           capture_output=True, text=True, timeout=10)
    assert check.stdout.strip() == "ok", check
    rows = stored_rows(state_dir)
    assert rows[("alice", ALICE)]["refresh"] and rows[("bob", "")]["access"]
    bridge.start()
    try:
        imap_login(bridge.port["imaps"])
        imap_login(bridge.port["imaps"], BOB)
        assert "was unusable" not in bridge.log()
        assert sorted(p.name for p in state_dir.iterdir() if p.name.startswith("tokens.sqlite")
                      and not p.name.endswith(("-wal", "-shm"))) == ["tokens.sqlite"]
        assert readyz_account(bridge, "alice", ALICE)["token_state"] == "valid"
    finally:
        assert bridge.stop() == 0


def test_status_command_with_a_ready_and_an_unauthorized_account(rig, tmp_path):
    accounts = [user_account(rig, "alice", "authorization_code", "native", redirect_port=0),
                account_block(rig, "bob", BOB)]
    bridge = bridge_for(rig, tmp_path, accounts)
    config = bridge.process.config_path
    bridge.start()
    try:
        imap_login(bridge.port["imaps"], BOB)
        assert "mailbridge auth alice" in imap_login_refused(bridge.port["imaps"])
        table = subprocess.run([BINARY, "status", "--config", str(config)], capture_output=True,
                               text=True, timeout=30)
        assert table.returncode == 1, table.stdout + table.stderr
        out = table.stdout
        assert f"at 127.0.0.1:{bridge.health_port}" in out and "NOT READY" in out, out
        assert re.search(r"^imaps\s+imap\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:\d+\s+0\s+up$", out,
                         re.M), out
        assert re.search(r"^alice\s+alice@example\.com\s+needs authorization\s+-\s+", out, re.M), out
        assert re.search(r"^bob\s+\(all logins\)\s+ready\s+\d+m\s+ok, \d+s ago", out, re.M), out
        assert re.search(r"^CACHE\s+ROWS", out, re.M), out

        as_json = subprocess.run([BINARY, "status", "--json", "--config", str(config)],
                                 capture_output=True, text=True, timeout=30)
        assert as_json.returncode == 1, as_json.stderr
        report = json.loads(as_json.stdout)
        assert report["all_ready"] is False and report["version"]
        states = {(a["name"], a["login"]): a["token_state"] for a in report["accounts"]}
        assert states[("alice", ALICE)] == "needs_authorization"
        assert states[("bob", "")] == "valid"
        assert report["listeners"][0]["sessions"] == 0
    finally:
        assert bridge.stop() == 0
    stopped = subprocess.run([BINARY, "status", "--config", str(config)], capture_output=True,
                             text=True, timeout=30)
    assert stopped.returncode == 2, stopped.stdout + stopped.stderr
    assert f"http://127.0.0.1:{bridge.health_port}/readyz" in stopped.stderr, stopped.stderr
