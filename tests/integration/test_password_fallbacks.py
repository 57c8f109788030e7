"""`auth = "password"` accounts against a real Dovecot 2.3 that offers no SASL PLAIN, so the bridge
must take its fallbacks: SASL LOGIN for IMAP (AUTHENTICATE LOGIN), POP3 (AUTH LOGIN) and SMTP
(AUTH LOGIN), each logged by Dovecot as `method=LOGIN` over TLS. (Dovecot runs the IMAP LOGIN
command and POP3 USER/PASS through PLAIN internally, so without PLAIN it offers LOGINDISABLED and
refuses PASS: the bridge must not pick those.) A Dovecot offering only CRAM-MD5 gets a prompt,
permanent refusal naming the account from every protocol, and the bridge survives it (it once
crashed there: the failed upstream's TLS stream was destroyed inside its own read callback).
No password ever appears in the bridge's log."""
import imaplib
import os
import poplib
import re
import smtplib
import tempfile

import pytest

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, TIMEOUT, BridgeDaemon, Listener, RawImap,
                             wait_until)
from rig import clients
from rig.dovecot import Dovecot
from test_password_upstream import password_account


def start_dovecot(rig, name, mechanisms):
    """A password-mode Dovecot beside the rig's, offering only the given SASL mechanisms."""
    base = tempfile.mkdtemp(prefix=name + "-", dir=rig.tmp)
    os.chmod(base, 0o755)  # its login and mail processes drop privileges and must traverse it
    return Dovecot(base, rig.pki, rig.users, relay_port=rig.sink.port, mode="password", name=name,
                   mechanisms=mechanisms)


@pytest.fixture(scope="module")
def login_only(rig):
    d = start_dovecot(rig, "dovecot-login", "login")
    try:
        d.start()
        assert_offers_login_only(d, rig.pki.ca_cert)
        yield d
    finally:
        d.stop()


def assert_offers_login_only(d, ca):
    context = clients.ssl_context(ca)
    imap = imaplib.IMAP4_SSL("127.0.0.1", d.ports["imaps"], ssl_context=context, timeout=TIMEOUT)
    try:
        caps = set(imap.capabilities)
        assert "AUTH=LOGIN" in caps and "AUTH=PLAIN" not in caps, caps
        assert "LOGINDISABLED" in caps, caps
    finally:
        imap.shutdown()
    pop = poplib.POP3_SSL("127.0.0.1", d.ports["pop3s"], context=context, timeout=TIMEOUT)
    try:
        capa = pop.capa()
        assert capa.get("SASL") == ["LOGIN"] and "USER" in capa, capa
    finally:
        pop.quit()
    with smtplib.SMTP("127.0.0.1", d.ports["submission"], timeout=TIMEOUT) as smtp:
        smtp.starttls(context=context)
        smtp.ehlo()
        assert smtp.esmtp_features.get("auth", "").split() == ["LOGIN"], smtp.esmtp_features


def Bridge(directory, d, ca, accounts):
    """mailbridge with listeners imap (upstream IMAPS), pop3 (POP3S) and smtp (submission +
    STARTTLS) in front of Dovecot d, and the given accounts; started by `with`."""
    servers = [Listener("imap", d.ports["imaps"], "implicit", ca),
               Listener("pop3", d.ports["pop3s"], "implicit", ca, protocol="pop3"),
               Listener("smtp", d.ports["submission"], "starttls", ca, protocol="smtp")]
    return BridgeDaemon(directory, servers, accounts)


def dovecot_lines(d, since, needle):
    with open(d.log_path, "rb") as f:
        f.seek(since)
        return [line for line in f.read().decode("utf-8", "replace").splitlines()
                if needle in line]


def assert_no_secret(log, rig):
    for secret in (rig.users[ALICE], rig.users[BOB], LOCAL_PASSWORD):
        assert secret not in log


def test_smtp_falls_back_to_auth_login(rig, login_only, tmp_path):
    d = login_only
    accounts = [password_account("legacy", ALICE, rig.users[ALICE]),
                password_account("wrongpw", BOB, "not-" + rig.users[BOB])]
    with Bridge(tmp_path, d, rig.pki.ca_cert, accounts) as bridge:
        since = d.log_size()
        subject = f"login fallback {os.getpid()}.{id(bridge)}"
        with smtplib.SMTP("127.0.0.1", bridge.port["smtp"], timeout=TIMEOUT) as smtp:
            smtp.login(ALICE, LOCAL_PASSWORD)
            refused = smtp.sendmail(ALICE, [BOB], f"From: {ALICE}\r\nTo: {BOB}\r\n"
                                    f"Subject: {subject}\r\n\r\nhello\r\n")
            assert refused == {}
        line = d.wait_log(r"submission-login: (Info: )?Login: user=<alice@example\.com>, "
                          r"method=LOGIN,", since=since)
        assert "TLS" in line, line
        wait_until(lambda: re.search(r"smtp \S+ login alice@example\.com \(account legacy\) ok via "
                                   r"LOGIN ", bridge.log()), 10, "the bridge's 'ok via LOGIN' line")
        wait_until(lambda: any(subject.encode() in m["data"] for m in rig.sink.messages()), 10,
                 "the message at the sink")

        # A wrong upstream password: Dovecot's refusal of AUTH LOGIN, after the account name.
        since = d.log_size()
        with smtplib.SMTP("127.0.0.1", bridge.port["smtp"], timeout=TIMEOUT) as smtp:
            with pytest.raises(smtplib.SMTPAuthenticationError) as refusal:
                smtp.login(BOB, LOCAL_PASSWORD)
        assert refusal.value.smtp_code == 535, refusal.value
        assert b"wrongpw: " in refusal.value.smtp_error, refusal.value
        assert b"Authentication failed" in refusal.value.smtp_error, refusal.value
        line = d.wait_log(r"submission-login: (Info: )?.*auth failed.*user=<bob@example\.com>, "
                          r"method=LOGIN,", since=since)
        assert "TLS" in line, line
        bridge.assert_alive("the SMTP logins")
    log = bridge.log()
    assert "not-" + rig.users[BOB] not in log
    assert_no_secret(log, rig)


def test_imap_and_pop3_fall_back_to_sasl_login(rig, login_only, tmp_path):
    d = login_only
    accounts = [password_account("legacy", ALICE, rig.users[ALICE]),
                password_account("wrongpw", BOB, "not-" + rig.users[BOB])]
    with Bridge(tmp_path, d, rig.pki.ca_cert, accounts) as bridge:
        since = d.log_size()
        with RawImap.connect(bridge.port["imap"]) as s:
            assert s.greeting().startswith(b"* OK")
            _, done = s.login(ALICE, LOCAL_PASSWORD)
            assert done.startswith(b"L1 OK"), done
            _, done = s.command("S1", "SELECT INBOX")
            assert done.startswith(b"S1 OK"), done
        line = d.wait_log(r"imap-login: (Info: )?Login: user=<alice@example\.com>, method=LOGIN,",
                          since=since)
        assert "TLS" in line, line
        wait_until(lambda: re.search(r"imap \S+ login alice@example\.com \(account legacy\) ok via "
                                   r"LOGIN ", bridge.log()), 10, "the bridge's 'ok via LOGIN' line")

        since = d.log_size()
        pop = poplib.POP3("127.0.0.1", bridge.port["pop3"], timeout=TIMEOUT)
        try:
            pop.user(ALICE)
            pop.pass_(LOCAL_PASSWORD)
            count, _ = pop.stat()
            assert len(pop.uidl()[1]) == count
            pop.quit()
        finally:
            pop.close()
        line = d.wait_log(r"pop3-login: (Info: )?Login: user=<alice@example\.com>, method=LOGIN,",
                          since=since)
        assert "TLS" in line, line
        wait_until(lambda: re.search(r"pop3 \S+ login alice@example\.com \(account legacy\) ok via "
                                   r"LOGIN ", bridge.log()), 10, "the bridge's POP3 'ok via LOGIN'")

        # A wrong upstream password: Dovecot's refusal after the account name, nothing retried.
        with RawImap.connect(bridge.port["imap"]) as s:
            s.greeting()
            _, done = s.login(BOB, LOCAL_PASSWORD)
        assert re.match(rb"L1 NO \[AUTHENTICATIONFAILED\] wrongpw: Authentication failed\.",
                        done), done
        bridge.assert_alive("the IMAP and POP3 logins")
    log = bridge.log()
    assert "not-" + rig.users[BOB] not in log
    assert_no_secret(log, rig)


def test_an_upstream_without_plain_or_login_is_refused_cleanly(rig, tmp_path):
    d = start_dovecot(rig, "dovecot-cram", "cram-md5")
    try:
        d.start()
        with smtplib.SMTP("127.0.0.1", d.ports["submission"], timeout=TIMEOUT) as smtp:
            smtp.starttls(context=clients.ssl_context(rig.pki.ca_cert))
            smtp.ehlo()
            assert smtp.esmtp_features.get("auth", "").split() == ["CRAM-MD5"], \
                smtp.esmtp_features
        reason = rb"legacy: upstream 127\.0\.0\.1:\d+ takes no password the bridge can send"
        with Bridge(tmp_path, d, rig.pki.ca_cert,
                    [password_account("legacy", ALICE, rig.users[ALICE])]) as bridge:
            for attempt in (1, 2):
                with RawImap.connect(bridge.port["imap"]) as s:
                    assert s.greeting().startswith(b"* OK")
                    _, done = s.login(ALICE, LOCAL_PASSWORD)
                assert done.startswith(b"L1 NO ") and re.search(reason, done), done
                bridge.assert_alive(f"IMAP login #{attempt}")
                pop = poplib.POP3("127.0.0.1", bridge.port["pop3"], timeout=TIMEOUT)
                try:
                    pop.user(ALICE)
                    with pytest.raises(poplib.error_proto) as refusal:
                        pop.pass_(LOCAL_PASSWORD)
                finally:
                    pop.close()
                assert refusal.value.args[0].startswith(b"-ERR "), refusal.value
                bridge.assert_alive(f"POP3 login #{attempt}")
                with smtplib.SMTP("127.0.0.1", bridge.port["smtp"], timeout=TIMEOUT) as smtp:
                    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
                        smtp.login(ALICE, LOCAL_PASSWORD)
                assert refused.value.smtp_code // 100 == 5 and re.search(
                    reason, refused.value.smtp_error), refused.value
                bridge.assert_alive(f"SMTP login #{attempt}")
        assert_no_secret(bridge.log(), rig)
    finally:
        d.stop()
