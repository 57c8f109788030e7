# Proves the integration rig with real clients only (curl, imaplib, poplib, smtplib, raw CONNECT),
# directly against Dovecot, the OAuth server, the SMTP sink and the squids (no mailbridge involved).
import imaplib
import poplib
import re
import subprocess
import time

import pytest

from rig import clients
from rig.clients import b64, ssl_context, xoauth2
from rig.waiting import wait_until

ALICE, BOB = "alice@example.com", "bob@example.com"
CURL_T = ["--max-time", "20", "--connect-timeout", "5"]


def run(argv, timeout=30):
    return subprocess.run(argv, capture_output=True, timeout=timeout)


def imap_login(rig, user, token, mech="XOAUTH2"):
    im = clients.imap_connect(rig.dovecot.ports["imaps"], rig.pki.ca_cert)
    try:
        return clients.imap_xoauth2(im, user, token, mech)
    finally:
        try:
            im.logout()
        except Exception:
            pass


# ---- IMAP ---------------------------------------------------------------------------------------------
def test_curl_imaps_bearer_lists_inbox(rig):
    tok = rig.oauth.cc_token(ALICE)
    cp = run(["curl", "-sS", *CURL_T, "--cacert", rig.pki.ca_cert, "--user", f"{ALICE}:", "--oauth2-bearer", tok,
              f"imaps://127.0.0.1:{rig.dovecot.ports['imaps']}/"])
    assert cp.returncode == 0, cp.stderr
    assert b"INBOX" in cp.stdout


def test_curl_imaps_wrong_ca_fails(rig):
    tok = rig.oauth.cc_token(ALICE)
    cp = run(["curl", "-sS", *CURL_T, "--cacert", rig.pki.other_ca_cert, "--user", f"{ALICE}:",
              "--oauth2-bearer", tok, f"imaps://127.0.0.1:{rig.dovecot.ports['imaps']}/"])
    assert cp.returncode == 60, cp.stderr  # peer certificate cannot be authenticated


def test_imap_xoauth2_valid_token(rig):
    since = rig.dovecot.log_size()
    typ, data = imap_login(rig, ALICE, rig.oauth.cc_token(ALICE))
    assert typ == "OK"
    line = rig.dovecot.wait_log(r"imap-login: Info: Login: user=<alice@example\.com>, method=XOAUTH2", since)
    assert ", TLS," in line


def test_imap_oauthbearer_and_starttls(rig):
    tok = rig.oauth.cc_token(BOB)
    assert imap_login(rig, BOB, tok, mech="OAUTHBEARER")[0] == "OK"
    im = clients.imap_connect(rig.dovecot.ports["imap"], rig.pki.ca_cert, starttls=True)
    try:
        assert clients.imap_xoauth2(im, BOB, tok)[0] == "OK"
    finally:
        im.logout()


def test_imap_other_users_token_refused(rig):
    tok = rig.oauth.cc_token(BOB)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(rig, ALICE, tok)


def test_imap_garbage_token_refused(rig):
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(rig, ALICE, "not-a-real-token")


def test_imap_expired_short_token_refused(rig):
    resp = rig.oauth.client_credentials(client="cc_short")
    assert resp["expires_in"] <= rig.short_ttl
    assert imap_login(rig, ALICE, resp["access_token"])[0] == "OK"
    # The provider itself says the token is dead (Dovecot asks it the same on every login).
    wait_until(lambda: not rig.oauth.introspect(resp["access_token"]).get("active"),
               rig.short_ttl + 10, "the short token to expire at the provider", interval=0.2)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(rig, ALICE, resp["access_token"])


def test_imap_revoked_token_refused(rig):
    tok = rig.oauth.cc_token(ALICE)
    rig.oauth.revoke(tok)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(rig, ALICE, tok)


def test_imap_password_login_refused(rig):
    im = clients.imap_connect(rig.dovecot.ports["imaps"], rig.pki.ca_cert)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            im.login(ALICE, rig.users[ALICE])
    finally:
        im.logout()


def test_imap_introspection_failure_is_unavailable(rig):
    tok = rig.oauth.cc_token(ALICE)
    rig.oauth.fail_introspection(count=1, status=500)
    with pytest.raises(imaplib.IMAP4.error, match="UNAVAILABLE"):
        imap_login(rig, ALICE, tok)
    assert imap_login(rig, ALICE, tok)[0] == "OK"


def test_seeded_messages_fetched_byte_exact(rig):
    expected = {f"<seed-{m.index}@rig.test>": m for m in rig.seeded}
    kinds = {m.kind for m in rig.seeded}
    assert {"large", "big", "hostile", "multipart", "rfc2047"} <= kinds
    assert max(m.size for m in rig.seeded) > 200 * 1024
    im = clients.imap_connect(rig.dovecot.ports["imaps"], rig.pki.ca_cert)
    try:
        clients.imap_xoauth2(im, ALICE, rig.oauth.cc_token(ALICE))
        typ, data = im.select("INBOX", readonly=True)
        assert int(data[0]) == len(rig.seeded)
        typ, data = im.fetch(f"1:{len(rig.seeded)}", "(BODY.PEEK[])")
        assert typ == "OK"
        bodies = [d[1] for d in data if isinstance(d, tuple)]
        assert len(bodies) == len(rig.seeded)
        for body in bodies:
            mid = re.search(rb"^Message-ID: (<[^>]+>)", body, re.M).group(1).decode()
            assert body == expected.pop(mid).imap_bytes(), mid
        assert not expected
    finally:
        im.logout()


def test_seeder_extra_folder(rig):
    from rig import seeder
    seeder.create_folder(rig.dovecot, BOB, "Archive")
    msgs = seeder.seed_user(rig.dovecot, BOB, 2, folder="Archive", seed=7, kinds=["plain"])
    im = clients.imap_connect(rig.dovecot.ports["imaps"], rig.pki.ca_cert)
    try:
        clients.imap_xoauth2(im, BOB, rig.oauth.cc_token(BOB))
        typ, data = im.list()
        assert any(b"Archive" in l for l in data)
        typ, data = im.select("Archive", readonly=True)
        assert int(data[0]) == 2
        typ, data = im.fetch("1:2", "(BODY.PEEK[])")
        assert sorted(d[1] for d in data if isinstance(d, tuple)) == sorted(m.data for m in msgs)
    finally:
        im.logout()


# ---- POP3 and submission ----------------------------------------------------------------------------
def test_pop3s_and_stls_with_token(rig):
    tok = rig.oauth.cc_token(ALICE)
    for starttls, port in ((False, rig.dovecot.ports["pop3s"]), (True, rig.dovecot.ports["pop3"])):
        p = clients.pop3_connect(port, rig.pki.ca_cert, starttls=starttls)
        try:
            clients.pop3_xoauth2(p, ALICE, tok)
            count, size = p.stat()
            assert count == len(rig.seeded)
            lines = p.retr(1)[1]
            assert any(l.startswith(b"Message-ID: <seed-") for l in lines)
        finally:
            p.quit()


def test_pop3_bad_token_refused(rig):
    p = clients.pop3_connect(rig.dovecot.ports["pop3s"], rig.pki.ca_cert)
    try:
        with pytest.raises(poplib.error_proto):
            clients.pop3_xoauth2(p, ALICE, rig.oauth.cc_token(BOB))
    finally:
        p.quit()


def test_curl_pop3s_bearer(rig):
    tok = rig.oauth.cc_token(ALICE)
    cp = run(["curl", "-sS", *CURL_T, "--cacert", rig.pki.ca_cert, "--user", f"{ALICE}:", "--oauth2-bearer", tok,
              f"pop3s://127.0.0.1:{rig.dovecot.ports['pop3s']}/"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith(b"1 ")


def _message(subject):
    return (f"From: Alice <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@rig.test>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "Hello B\u00f6b,\r\n.a line starting with a dot\r\n\r\nbye\r\n").encode()


@pytest.mark.parametrize("implicit", [False, True], ids=["submission-starttls", "submissions"])
def test_submission_relays_byte_exact_to_sink(rig, implicit):
    port = rig.dovecot.ports["submissions" if implicit else "submission"]
    msg = _message(f"rig submission {implicit} {time.time()}")
    s = clients.smtp_connect(port, rig.pki.ca_cert, implicit_tls=implicit)
    try:
        code, text = clients.smtp_xoauth2(s, ALICE, rig.oauth.cc_token(ALICE))
        assert code == 235, text
        s.sendmail(ALICE, [BOB, "carol@example.org"], msg)
    finally:
        s.quit()
    found = wait_until(lambda: next((m for m in rig.sink.messages() if m["data"].endswith(msg)), None),
                       10, "the message relayed to the sink")
    assert found["mail_from"] == ALICE
    assert found["rcpt_tos"] == [BOB, "carol@example.org"]
    # Dovecot submission prepends its own Received: header; everything after it arrives byte-exact
    prefix = found["data"][:-len(msg)]
    assert re.fullmatch(rb"Received: [^\r\n]*\r\n(?:\t[^\r\n]*\r\n)*", prefix), prefix


def test_sink_stores_byte_exact(rig):
    import smtplib
    msg = b"Subject: direct\r\nX-8bit: \xe9\xff\r\n\r\n.dot\r\n..two dots\r\nend\r\n"
    with smtplib.SMTP("127.0.0.1", rig.sink.port, timeout=10) as s:
        s.sendmail("a@rig.test", ["b@rig.test"], msg)
    m = next(m for m in rig.sink.wait_messages(1) if m["data"].startswith(b"Subject: direct"))
    assert m["data"] == msg and m["mail_from"] == "a@rig.test" and m["rcpt_tos"] == ["b@rig.test"]


def test_submission_bad_token_refused(rig):
    s = clients.smtp_connect(rig.dovecot.ports["submission"], rig.pki.ca_cert)
    try:
        code, text = clients.smtp_xoauth2(s, ALICE, "bogus-token")
        assert code == 535, (code, text)
    finally:
        s.close()


def test_submission_rejects_long_auth_line(rig):
    """Documented peer quirk: AUTH XOAUTH2 <initial-response> longer than ~1 KB is refused."""
    s = clients.smtp_connect(rig.dovecot.ports["submission"], rig.pki.ca_cert)
    try:
        code, _ = s.docmd("AUTH", "XOAUTH2 " + b64(xoauth2(ALICE, "t" * 1500)))
        assert code == 500
    finally:
        s.close()


# ---- squid ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["basic", "digest"])
def test_squid_requires_auth(rig, which):
    sq = getattr(rig, f"squid_{which}")
    status, sock, headers = clients.proxy_connect(sq.port, rig.dovecot.ports["imaps"])
    sock.close()
    assert status == 407
    assert headers["proxy-authenticate"][0].lower().startswith(which)


@pytest.mark.parametrize("which", ["basic", "digest"])
def test_squid_wrong_password(rig, which):
    sq = getattr(rig, f"squid_{which}")
    status, sock, _ = clients.proxy_connect(sq.port, rig.dovecot.ports["imaps"], sq.user, "wrong")
    sock.close()
    assert status == 407


@pytest.mark.parametrize("which", ["basic", "digest"])
def test_squid_tunnel_to_imaps(rig, which):
    sq = getattr(rig, f"squid_{which}")
    status, sock, _ = clients.proxy_connect(sq.port, rig.dovecot.ports["imaps"], sq.user, sq.password)
    assert status == 200
    tls = ssl_context(rig.pki.ca_cert).wrap_socket(sock, server_hostname="127.0.0.1")
    try:
        assert tls.recv(200).startswith(b"* OK")
        tok = rig.oauth.cc_token(ALICE)
        tls.sendall(b"a AUTHENTICATE XOAUTH2 " + b64(xoauth2(ALICE, tok)).encode() + b"\r\n")
        buf = b""
        while b"\r\na " not in b"\r\n" + buf:
            chunk = tls.recv(4096)
            assert chunk
            buf += chunk
        assert re.search(rb"^a OK", buf, re.M), buf
    finally:
        tls.close()
    lines = sq.access_lines(wait_for=rf"CONNECT 127\.0\.0\.1:{rig.dovecot.ports['imaps']} {sq.user}")
    assert any(f"CONNECT 127.0.0.1:{rig.dovecot.ports['imaps']} {sq.user}" in l for l in lines)


def test_squid_refuses_non_loopback_target(rig):
    sq = rig.squid_basic
    status, sock, _ = clients.proxy_connect(sq.port, 993, sq.user, sq.password, target_host="192.0.2.1")
    sock.close()
    assert status == 403


@pytest.mark.parametrize("which", ["basic", "digest", "https"])
def test_curl_imaps_through_squid(rig, which):
    sq = rig.squid_digest if which == "digest" else rig.squid_basic
    proxy = (f"https://127.0.0.1:{sq.https_port}" if which == "https" else f"http://127.0.0.1:{sq.port}")
    extra = ["--proxy-digest"] if which == "digest" else ["--proxy-basic"]
    if which == "https":
        extra += ["--proxy-cacert", rig.pki.ca_cert]
    cp = run(["curl", "-sS", *CURL_T, "-p", "-x", proxy, *extra, "-U", f"{sq.user}:{sq.password}",
              "--cacert", rig.pki.ca_cert, "--user", f"{ALICE}:", "--oauth2-bearer", rig.oauth.cc_token(ALICE),
              f"imaps://127.0.0.1:{rig.dovecot.ports['imaps']}/"])
    assert cp.returncode == 0, cp.stderr
    assert b"INBOX" in cp.stdout


# ---- OAuth flows -------------------------------------------------------------------------------------------
def test_authorization_code_pkce_headless(rig):
    o = rig.oauth
    redirect = "http://127.0.0.1:41234/callback"  # any port is accepted for the native client
    url, state, verifier = o.authorization_url(redirect_uri=redirect)
    q = o.complete_authorization(url, ALICE, rig.users[ALICE])
    assert q["state"] == state and q["iss"] == o.issuer and q["code"]
    assert q["location"].startswith(redirect + "?")
    tok = o.exchange_code(q["code"], verifier, redirect_uri=redirect)
    assert tok["refresh_token"] and tok["access_token"]
    assert imap_login(rig, ALICE, tok["access_token"])[0] == "OK"
    new = o.refresh(tok["refresh_token"])
    assert new["refresh_token"] != tok["refresh_token"]  # rotation for public clients
    assert imap_login(rig, ALICE, new["access_token"])[0] == "OK"
    # the refresh token itself is not a mailbox credential (no email claim)
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(rig, ALICE, new["refresh_token"])


def test_authorization_code_wrong_password_does_not_redirect(rig):
    url, _, _ = rig.oauth.authorization_url()
    with pytest.raises(RuntimeError):
        rig.oauth.complete_authorization(url, ALICE, "wrong-password")


def test_device_flow(rig):
    o = rig.oauth
    d = o.device_authorize()
    assert d["user_code"] and d["verification_uri"].startswith(o.issuer)
    o.approve_device(d["user_code"], BOB)
    tok = o.device_token(d["device_code"], timeout=15)
    assert tok["refresh_token"]
    assert imap_login(rig, BOB, tok["access_token"])[0] == "OK"


# ---- rig hooks and fault handling ------------------------------------------------------------------------
def test_token_stats_and_failure_injection(rig):
    o = rig.oauth
    cid = o.cc_client(BOB)["client_id"]
    before = o.token_requests(cid, "client_credentials")
    o.cc_token(BOB)
    o.cc_token(client="cc_basic")
    o.fail_token(count=2, status=503)
    for _ in range(2):
        with pytest.raises(Exception, match="503"):
            o.cc_token(BOB)
    o.cc_token(BOB)
    assert o.token_requests(cid, "client_credentials") == before + 4
    assert o.stats()["injected_failures"] >= 2


def test_password_mode_dovecot(rig):
    d = rig.dovecot_pw
    im = clients.imap_connect(d.ports["imaps"], rig.pki.ca_cert)
    try:
        assert im.login(ALICE, rig.users[ALICE])[0] == "OK"
    finally:
        im.logout()
    im = clients.imap_connect(d.ports["imaps"], rig.pki.ca_cert)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            im.login(ALICE, "wrong")
    finally:
        im.logout()


def test_dovecot_restart(rig):
    old_pid = rig.dovecot.proc.pid
    rig.dovecot.restart()
    assert rig.dovecot.proc.pid != old_pid
    assert imap_login(rig, ALICE, rig.oauth.cc_token(ALICE))[0] == "OK"
